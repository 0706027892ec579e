// Packets written onto a TUN device from the kernel's side, inside the namespace: a small
// Python process with an AF_PACKET socket bound to the device sends whatever bytes it is
// given, untouched (no IP header fixed up, no checksum computed, no route looked up), so tcplab
// reads exactly them, as if the kernel had transmitted them. What a raw IP socket cannot send
// (a wrong IPv4 checksum or total length, a truncated header, garbage) goes this way too.
import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import type { Netns } from '../../src/lab/netns.js';

const INJECTOR = `
import socket, sys
dev = sys.argv[1]
s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
s.bind((dev, 0x0800))
sent = 0
for line in sys.stdin:
    line = line.strip()
    if line == "sync":
        sys.stdout.write("sent %d\\n" % sent)
        sys.stdout.flush()
        continue
    if line:
        s.sendto(bytes.fromhex(line), (dev, 0x0800))
        sent += 1
`;

export class PacketInjector {
  private readonly child: ChildProcess;
  private readonly waiting: ((count: number) => void)[] = [];

  private constructor(ns: Netns, device: string) {
    this.child = ns.spawn(['python3', '-u', '-c', INJECTOR, device], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const m = /^sent (\d+)$/.exec(line);
      if (m) this.waiting.shift()?.(Number(m[1]));
    });
    this.child.stdin?.on('error', () => undefined);
  }

  /** Start an injector writing onto `device` (a TUN device inside `ns`). */
  static open(ns: Netns, device: string): PacketInjector {
    return new PacketInjector(ns, device);
  }

  /** Send packets; resolves once the injector has sent them all, with its running total. */
  send(packets: readonly Uint8Array[]): Promise<number> {
    const lines = packets.map((p) => Buffer.from(p).toString('hex')).join('\n');
    return new Promise((resolve, reject) => {
      this.waiting.push(resolve);
      this.child.once('exit', (code) => reject(new Error(`packet injector exited (${code})`)));
      this.child.stdin?.write(`${lines}\nsync\n`);
    });
  }

  close(): void {
    this.child.stdin?.end();
    if (this.child.pid !== undefined && this.child.exitCode === null) {
      try {
        process.kill(this.child.pid, 'SIGTERM');
      } catch {
        // gone already
      }
    }
  }
}
