// The virtio-net header layer (src/link/offload.ts) and what rides on it: partial checksums that
// a device finishes correctly, and a transfer between two stacks where one sends super-segments
// with partial checksums through a "device" that finishes them as the kernel does.
import { describe, expect, it } from 'vitest';
import {
  decodeVnetHdr,
  encodeVnetHdr,
  rxChecksumTrusted,
  txVnetHdr,
  VIRTIO_NET_HDR_F_DATA_VALID,
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_GSO_TCPV4,
  VIRTIO_NET_HDR_GSO_TCPV6,
  VNET_HDR_SIZE,
} from '../../../src/link/offload.js';
import { tcpPacket } from '../../../src/stack/ip-output.js';
import { Stack } from '../../../src/stack/stack.js';
import { parseIpAddress } from '../../../src/wire/address.js';
import { onesComplementSum } from '../../../src/wire/checksum.js';
import { parsePacket } from '../../../src/wire/packet.js';
import { markPartialChecksum, partialChecksum } from '../../../src/wire/partial-checksum.js';
import { TCP_ACK, verifyTcpChecksum } from '../../../src/wire/tcp.js';

/** What a device does with NEEDS_CSUM: sum from csum_start to the end, field included, and store
 *  the complement at csum_start + csum_offset (Linux skb_checksum_help). */
function finishChecksum(packet: Uint8Array, csumStart: number, csumOffset: number): void {
  const sum = onesComplementSum(packet, csumStart, packet.length);
  const c = ~sum & 0xffff;
  packet[csumStart + csumOffset] = c >>> 8;
  packet[csumStart + csumOffset + 1] = c & 0xff;
}

const v4 = (t: string) => parseIpAddress(t)!;

describe('virtio-net header', () => {
  it('encodes and decodes every field, little-endian, 12 bytes', () => {
    const h = { flags: 1, gsoType: 4, hdrLen: 0x1234, gsoSize: 1448, csumStart: 40, csumOffset: 16 };
    const b = new Uint8Array(16).fill(0xee);
    encodeVnetHdr(h, b, 2);
    expect([...b.subarray(2, 2 + VNET_HDR_SIZE)]).toEqual([1, 4, 0x34, 0x12, 0xa8, 0x05, 40, 0, 16, 0, 0, 0]);
    expect(b[0]).toBe(0xee);
    expect(b[14]).toBe(0xee);
    expect(decodeVnetHdr(b, 2)).toEqual(h);
  });

  it('an unmarked packet gets an all-zero header (its checksum is complete)', () => {
    const p = tcpPacket(v4('10.0.0.1'), v4('10.0.0.2'), { srcPort: 1, dstPort: 2, seq: 3, flags: TCP_ACK, window: 4 });
    const h = new Uint8Array(VNET_HDR_SIZE).fill(9);
    txVnetHdr(p, 1500, h, 0);
    expect([...h]).toEqual(new Array(VNET_HDR_SIZE).fill(0));
  });

  it('a partial IPv4 segment: NEEDS_CSUM at the TCP header; a super-segment: TSO with hdr_len and gso_size', () => {
    const small = tcpPacket(v4('10.0.0.1'), v4('10.0.0.2'), { srcPort: 1, dstPort: 2, seq: 3, flags: TCP_ACK, window: 4, payload: new Uint8Array(100) }, { partialChecksum: true });
    const h = new Uint8Array(VNET_HDR_SIZE);
    txVnetHdr(small, 1500, h, 0);
    expect(decodeVnetHdr(h)).toEqual({ flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 20, csumOffset: 16 });

    const big = tcpPacket(v4('10.0.0.1'), v4('10.0.0.2'), { srcPort: 1, dstPort: 2, seq: 3, flags: TCP_ACK, window: 4, payload: new Uint8Array(10 * 1448) }, { partialChecksum: true, gsoSize: 1448 });
    txVnetHdr(big, 1500, h, 0);
    expect(decodeVnetHdr(h)).toEqual({ flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, gsoType: VIRTIO_NET_HDR_GSO_TCPV4, hdrLen: 40, gsoSize: 1448, csumStart: 20, csumOffset: 16 });
  });

  it('an IPv6 super-segment: TCPV6, the TCP header at 40', () => {
    const big = tcpPacket(parseIpAddress('fd00::1')!, parseIpAddress('fd00::2')!, { srcPort: 1, dstPort: 2, seq: 3, flags: TCP_ACK, window: 4, payload: new Uint8Array(4 * 1428) }, { partialChecksum: true, gsoSize: 1428 });
    const h = new Uint8Array(VNET_HDR_SIZE);
    txVnetHdr(big, 1500, h, 0);
    expect(decodeVnetHdr(h)).toMatchObject({ gsoType: VIRTIO_NET_HDR_GSO_TCPV6, hdrLen: 60, gsoSize: 1428, csumStart: 40, csumOffset: 16 });
  });

  it('refuses a partial mark on something that is not TCP (a bug, never the network)', () => {
    const udp = new Uint8Array(28);
    udp[0] = 0x45;
    udp[9] = 17;
    markPartialChecksum(udp);
    expect(() => txVnetHdr(udp, 1500, new Uint8Array(VNET_HDR_SIZE), 0)).toThrow(/not TCP/);
  });

  it('received packets: NEEDS_CSUM and DATA_VALID are trusted, nothing else', () => {
    expect(rxChecksumTrusted(0)).toBe(false);
    expect(rxChecksumTrusted(VIRTIO_NET_HDR_F_NEEDS_CSUM)).toBe(true);
    expect(rxChecksumTrusted(VIRTIO_NET_HDR_F_DATA_VALID)).toBe(true);
  });
});

describe('partial checksums', () => {
  for (const [family, src, dst, start] of [
    ['IPv4', '10.0.0.1', '10.0.0.2', 20],
    ['IPv6', 'fd00::1', 'fd00::2', 40],
  ] as const) {
    it(`${family}: the field holds the pseudo-header sum; finished by a device, it verifies`, () => {
      const payload = Uint8Array.from({ length: 3001 }, (_, i) => (i * 13) & 0xff);
      const fields = { srcPort: 5201, dstPort: 40000, seq: 1, ack: 2, flags: TCP_ACK, window: 3, payload };
      const full = tcpPacket(parseIpAddress(src)!, parseIpAddress(dst)!, fields);
      const partial = tcpPacket(parseIpAddress(src)!, parseIpAddress(dst)!, fields, { partialChecksum: true });
      expect(partialChecksum(partial)).toBe(0);
      expect(partialChecksum(full)).toBeUndefined();
      const parsed = parsePacket(partial, false);
      if (!parsed.ok) throw new Error('unparsable');
      expect(verifyTcpChecksum(parsed.ip.payload, parsed.ip.src, parsed.ip.dst)).toBe(false);
      finishChecksum(partial, start, 16);
      expect(Buffer.from(partial).equals(Buffer.from(full))).toBe(true);
    });
  }
});

describe('two stacks, one sending super-segments with partial checksums', () => {
  it('1 MB arrives byte-exact; every marked packet, finished as a device would, verifies', () => {
    const a = new Stack({ addresses: ['10.0.0.1'], checksumOffload: true, tcp: { gsoMaxSize: 65536 } });
    const b = new Stack({ addresses: ['10.0.0.2'] });
    let now = 0;
    let superSegments = 0;
    let largest = 0;
    const move = (): boolean => {
      let moved = false;
      for (const p of a.takeOutput()) {
        moved = true;
        const gso = partialChecksum(p);
        expect(gso).toBeDefined(); // every TCP packet from a is partial
        largest = Math.max(largest, p.length);
        if (p.length > 1500) {
          superSegments++;
          expect(gso).toBe(1448);
        }
        const copy = p.slice();
        finishChecksum(copy, 20, 16);
        b.input(copy, now); // b verifies the finished checksum itself
      }
      for (const p of b.takeOutput()) {
        moved = true;
        expect(partialChecksum(p)).toBeUndefined();
        a.input(p, now);
      }
      return moved;
    };
    const listener = b.listen({ port: 80 });
    const client = a.connect({ host: '10.0.0.2', port: 80 }, now);
    while (move());
    const server = b.tcp.accept(listener)!;
    const total = 1 << 20;
    const data = Uint8Array.from({ length: total }, (_, i) => (i * 7 + (i >>> 11)) & 0xff);
    let written = 0;
    const got: Uint8Array[] = [];
    let received = 0;
    for (let guard = 0; guard < 100_000 && received < total; guard++) {
      if (written < total) {
        const n = client.connection.write(data.subarray(written), now);
        if (typeof n !== 'number') throw new Error(n.error);
        written += n;
        a.tcp.afterUserCall(client);
      }
      while (move());
      const chunk = server.connection.read(1 << 20, now);
      if (chunk.length > 0) {
        got.push(chunk);
        received += chunk.length;
        b.tcp.afterUserCall(server);
      }
      while (move());
      const d = [a.nextDeadline(), b.nextDeadline()].filter((x): x is number => x !== undefined);
      now = d.length > 0 ? Math.max(now + 1, Math.min(...d)) : now + 1;
      a.poll(now);
      b.poll(now);
    }
    expect(received).toBe(total);
    expect(Buffer.concat(got).equals(Buffer.from(data))).toBe(true);
    expect(superSegments).toBeGreaterThan(0);
    expect(largest).toBeLessThanOrEqual(65535);
    expect(b.counters.get('TcpInCsumErrors')).toBe(0);
    expect(a.tcp.counterTotals().retransSegs).toBe(0);
  });
});
