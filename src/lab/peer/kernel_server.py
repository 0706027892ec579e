#!/usr/bin/env python3
"""A kernel-side server for `tcplab connect`: the other end of a connection made by hand, with
Linux's own TCP, written the way the seeds' Python servers are.

  kernel_server.py --bind ADDR --port P --app echo|discard|source|http|hold
                   [--backlog N] [--no-accept] [--never-close] [--close-delay MS]
                   [--response-delay MS]

It prints one line "ready" once listening, then a line per connection event. Standard library
only; one thread per connection; it runs until killed.
"""
import argparse
import socket
import sys
import threading
import time


def log(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def serve_one(conn, who, args):
    try:
        if args.close_delay is not None:
            threading.Timer(args.close_delay / 1000, lambda: close(conn, who)).start()
        if args.app == "source":
            block = bytes(range(256)) * 256
            while True:
                conn.sendall(block)
        while True:
            data = conn.recv(65536)
            if not data:
                log(f"{who} sent FIN")
                break
            if args.app == "echo":
                conn.sendall(data)
            elif args.app == "http" and b"\r\n\r\n" in data:
                if args.response_delay:
                    time.sleep(args.response_delay / 1000)
                body = b"hello from the kernel\n"
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
                if not args.never_close:
                    break
        if not args.never_close:
            close(conn, who)
    except OSError as e:
        log(f"{who}: {e.strerror or e}")


def close(conn, who):
    try:
        conn.close()
        log(f"closed {who}")
    except OSError:
        pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bind", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--app", choices=["echo", "discard", "source", "http", "hold"], default="echo")
    p.add_argument("--backlog", type=int, default=128)
    p.add_argument("--no-accept", action="store_true")
    p.add_argument("--never-close", action="store_true")
    p.add_argument("--close-delay", type=int)
    p.add_argument("--response-delay", type=int)
    args = p.parse_args()
    if args.app == "hold":
        args.never_close = True
    family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args.bind, args.port))
    s.listen(args.backlog)
    log("ready")
    if args.no_accept:
        threading.Event().wait()
    while True:
        conn, addr = s.accept()
        who = f"{addr[0]}:{addr[1]}"
        log(f"accepted {who}")
        threading.Thread(target=serve_one, args=(conn, who, args), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
