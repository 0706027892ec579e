#!/usr/bin/env python3
"""The kernel peer: Linux sockets driven precisely, one JSON command per line on stdin.

tcplab's scenarios run this inside a private network namespace (ip netns exec NS python3
kernel_peer.py) to play the other end of a connection with the kernel's own TCP, the way the
seeds' Python scripts do: listen without accepting, accept and never close, close after a
delay, close with linger 0 (RST), shut down writing, stream bytes and hash them.

Protocol: each input line is {"id": N, "op": NAME, ...}; each command runs on its own thread
(blocking calls such as accept or recv do not hold up the others) and answers with one line
{"id": N, "ok": true, ...} or {"id": N, "ok": false, "error": "ECONNREFUSED", "message": "..."}.
Sockets are named by small integers ("sock") handed out by listen, accept and connect.
Standard library only.
"""
import base64
import errno
import hashlib
import json
import os
import socket
import struct
import sys
import threading

_out = threading.Lock()
_socks = {}
_next = [1]
_lock = threading.Lock()


def reply(obj):
    line = json.dumps(obj)
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def register(sock):
    with _lock:
        handle = _next[0]
        _next[0] += 1
        _socks[handle] = sock
    return handle


def lookup(cmd):
    sock = _socks.get(cmd["sock"])
    if sock is None:
        raise KeyError("no socket %r" % (cmd["sock"],))
    return sock


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def pattern(n, offset=0):
    """Deterministic bytes: a repeating 0..250 ramp, so both ends can check a stream."""
    ramp = bytes(range(251))
    start = offset % 251
    reps = (start + n) // 251 + 1
    return (ramp * reps)[start:start + n]


def op_listen(cmd):
    host = cmd.get("host", "0.0.0.0")
    s = socket.socket(family_of(host), socket.SOCK_STREAM)
    if cmd.get("reuseaddr", True):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, cmd["port"]))
    s.listen(cmd.get("backlog", 128))
    return {"sock": register(s), "port": s.getsockname()[1]}


def op_accept(cmd):
    s = lookup(cmd)
    s.settimeout(cmd.get("timeout"))
    c, peer = s.accept()
    c.settimeout(None)
    return {"sock": register(c), "peer": [peer[0], peer[1]]}


def op_connect(cmd):
    host = cmd["host"]
    s = socket.socket(family_of(host), socket.SOCK_STREAM)
    if "bind" in cmd:
        s.bind((cmd["bind"][0], cmd["bind"][1]))
    if cmd.get("nonblocking"):
        # Start the handshake and return at once: the scenario watches it in ss.
        s.setblocking(False)
        rc = s.connect_ex((host, cmd["port"]))
        if rc not in (0, errno.EINPROGRESS):
            raise OSError(rc, os.strerror(rc))
        s.setblocking(True)
        handle = register(s)
        return {"sock": handle, "local": list(s.getsockname()[:2])}
    s.settimeout(cmd.get("timeout"))
    s.connect((host, cmd["port"]))
    s.settimeout(None)
    return {"sock": register(s), "local": list(s.getsockname()[:2])}


def op_wait_connected(cmd):
    """For a non-blocking connect: wait until it completes or fails (SO_ERROR)."""
    import select
    s = lookup(cmd)
    _, w, _ = select.select([], [s], [], cmd.get("timeout"))
    if not w:
        raise OSError(errno.ETIMEDOUT, "still connecting")
    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if err:
        raise OSError(err, os.strerror(err))
    return {}


def op_send(cmd):
    s = lookup(cmd)
    data = base64.b64decode(cmd["data"]) if "data" in cmd else cmd.get("text", "").encode()
    s.sendall(data)
    return {"sent": len(data)}


def op_send_pattern(cmd):
    """Send `bytes` bytes of the ramp pattern (from pattern offset `start`); answer with their sha256."""
    s = lookup(cmd)
    total = cmd["bytes"]
    start = cmd.get("start", 0)
    h = hashlib.sha256()
    sent = 0
    chunk = cmd.get("chunk", 65536)
    while sent < total:
        block = pattern(min(chunk, total - sent), start + sent)
        s.sendall(block)
        h.update(block)
        sent += len(block)
    return {"sent": sent, "sha256": h.hexdigest()}


def op_recv(cmd):
    s = lookup(cmd)
    s.settimeout(cmd.get("timeout"))
    data = s.recv(cmd.get("max", 65536))
    s.settimeout(None)
    return {"data": base64.b64encode(data).decode(), "eof": len(data) == 0}


def op_recv_all(cmd):
    """Read until EOF (or `bytes` bytes); answer with the count and the sha256."""
    s = lookup(cmd)
    s.settimeout(cmd.get("timeout"))
    limit = cmd.get("bytes")
    h = hashlib.sha256()
    got = 0
    while limit is None or got < limit:
        data = s.recv(min(1 << 20, (limit - got) if limit is not None else 1 << 20))
        if not data:
            break
        h.update(data)
        got += len(data)
    s.settimeout(None)
    return {"received": got, "sha256": h.hexdigest()}


def op_sockerr(cmd):
    """SO_ERROR: the error the kernel recorded on the socket (e.g. a RST received), or none."""
    err = lookup(cmd).getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    return {"error_code": errno.errorcode.get(err, str(err)) if err else None}


def op_shutdown(cmd):
    how = {"rd": socket.SHUT_RD, "wr": socket.SHUT_WR, "rdwr": socket.SHUT_RDWR}[cmd.get("how", "wr")]
    lookup(cmd).shutdown(how)
    return {}


def op_close(cmd):
    s = lookup(cmd)
    if cmd.get("linger0"):
        # SO_LINGER with a zero timeout: close() sends RST instead of FIN (abortive close).
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    with _lock:
        _socks.pop(cmd["sock"], None)
    return {}


def op_quit(_cmd):
    for s in list(_socks.values()):
        try:
            s.close()
        except OSError:
            pass
    reply({"id": _cmd.get("id"), "ok": True})
    os._exit(0)


OPS = {
    "listen": op_listen,
    "accept": op_accept,
    "connect": op_connect,
    "wait_connected": op_wait_connected,
    "send": op_send,
    "send_pattern": op_send_pattern,
    "recv": op_recv,
    "recv_all": op_recv_all,
    "sockerr": op_sockerr,
    "shutdown": op_shutdown,
    "close": op_close,
    "quit": op_quit,
}


def run(cmd):
    ident = cmd.get("id")
    try:
        fn = OPS.get(cmd.get("op"))
        if fn is None:
            raise ValueError("unknown op %r" % (cmd.get("op"),))
        result = fn(cmd)
        result.update({"id": ident, "ok": True})
        reply(result)
    except socket.timeout:
        reply({"id": ident, "ok": False, "error": "ETIMEDOUT", "message": "timed out"})
    except OSError as e:
        name = errno.errorcode.get(e.errno, "EIO") if e.errno else "EIO"
        reply({"id": ident, "ok": False, "error": name, "message": str(e)})
    except Exception as e:  # a bad command must not kill the peer
        reply({"id": ident, "ok": False, "error": "EINVAL", "message": "%s: %s" % (type(e).__name__, e)})


def main():
    reply({"ready": True, "pid": os.getpid()})
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            cmd = json.loads(line)
        except ValueError as e:
            reply({"id": None, "ok": False, "error": "EINVAL", "message": "bad JSON: %s" % e})
            continue
        if cmd.get("op") == "quit":
            op_quit(cmd)
        threading.Thread(target=run, args=(cmd,), daemon=True).start()
    os._exit(0)


if __name__ == "__main__":
    main()
