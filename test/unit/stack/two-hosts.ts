// Two stacks joined back to back in virtual time: what one outputs, the other inputs,
// and timers fire at exactly their deadlines. `drop` can lose chosen packets on the way.
import { Stack, type StackOptions } from '../../../src/stack/stack.js';
import type { TcpEndpoint } from '../../../src/stack/tcp-endpoint.js';
import { formatPacket, parsePacket } from '../../../src/wire/index.js';

export interface TwoHosts {
  a: Stack;
  b: Stack;
  now: number;
  /** Every packet that crossed, as tcpdump prints it, with the time and direction. */
  log: string[];
  /** Move packets and fire timers until nothing is left to do before `until` (ms). */
  run(until: number): void;
  /** Return true to lose a packet on the wire. */
  drop: ((packet: Uint8Array, from: 'a' | 'b') => boolean) | undefined;
  /** The application closes `ep` (close(2)) on the host that has it; packets move for `ms`. */
  close(ep: TcpEndpoint, ms?: number): void;
  /** `first` closes, then `second`, `ms` apart: `first` ends in TIME-WAIT. */
  closeInTurn(first: TcpEndpoint, second: TcpEndpoint, ms?: number): void;
}

export function twoHosts(a: Partial<StackOptions> = {}, b: Partial<StackOptions> = {}): TwoHosts {
  const secret = new Uint8Array(16).fill(7);
  const hosts: TwoHosts = {
    a: new Stack({ addresses: ['10.0.0.1', 'fd00::1'], secret, ...a }),
    b: new Stack({ addresses: ['10.0.0.2', 'fd00::2'], secret, ...b }),
    now: 0,
    log: [],
    drop: undefined,
    run(until: number) {
      for (let guard = 0; guard < 10_000_000; guard++) {
        // Deliver everything in flight at the current time first.
        let moved = false;
        for (const [from, to, name] of [
          [hosts.a, hosts.b, 'a'],
          [hosts.b, hosts.a, 'b'],
        ] as const) {
          for (const packet of from.takeOutput()) {
            moved = true;
            const lost = hosts.drop?.(packet, name) ?? false;
            hosts.log.push(`${hosts.now} ${name}>${lost ? ' [lost]' : ''} ${formatPacket(parsePacket(packet))}`);
            if (!lost) to.input(packet, hosts.now);
          }
        }
        if (moved) continue;
        const deadlines = [hosts.a.nextDeadline(), hosts.b.nextDeadline()].filter((d): d is number => d !== undefined);
        const next = deadlines.length > 0 ? Math.min(...deadlines) : undefined;
        if (next === undefined || next > until) {
          hosts.now = Math.max(hosts.now, until);
          return;
        }
        hosts.now = Math.max(hosts.now, next);
        hosts.a.poll(hosts.now);
        hosts.b.poll(hosts.now);
      }
      throw new Error('twoHosts.run: no progress');
    },
    close(ep, ms = 50) {
      const host = hosts.a.tcp.connections.get(ep.key) === ep ? hosts.a : hosts.b;
      ep.connection.close(hosts.now);
      host.tcp.afterUserCall(ep);
      hosts.run(hosts.now + ms);
    },
    closeInTurn(first, second, ms = 50) {
      hosts.close(first, ms);
      hosts.close(second, ms);
    },
  };
  return hosts;
}
