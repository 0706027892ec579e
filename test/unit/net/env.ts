// Two NetStacks joined by a MemoryLink, in real time or in virtual time. The same API
// tests run in both: `settle(cond)` waits for a condition, moving packets and (in virtual
// time) jumping the clock to the next deadline whenever nothing else can happen.
import { MemoryLink } from '../../../src/link/memory-link.js';
import { RealClock, VirtualClock } from '../../../src/net/clock.js';
import { createStack, type NetStack } from '../../../src/net/net-stack.js';
import type { StackOptions } from '../../../src/stack/stack.js';

export interface NetEnv {
  readonly name: string;
  client: NetStack;
  server: NetStack;
  /** Resolves once `cond()` holds; rejects after `limitMs` of (virtual or real) time. */
  settle(cond: () => boolean, limitMs?: number): Promise<void>;
  now(): number;
  close(): void;
}

const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

export function realEnv(options: Partial<StackOptions> = {}): NetEnv {
  const [a, b] = MemoryLink.pair();
  const clock = new RealClock();
  const client = createStack({ link: a, addresses: ['10.0.0.1', 'fd00::1'], clock, ...options });
  const server = createStack({ link: b, addresses: ['10.0.0.2', 'fd00::2'], clock, ...options });
  return {
    name: 'MemoryLink, real clock',
    client,
    server,
    now: () => clock.now(),
    async settle(cond, limitMs = 10_000) {
      const deadline = clock.now() + limitMs;
      while (!cond()) {
        if (clock.now() > deadline) throw new Error(`not settled after ${limitMs} ms`);
        await macrotask();
      }
    },
    close() {
      client.close();
      server.close();
    },
  };
}

export function virtualEnv(options: Partial<StackOptions> = {}): NetEnv {
  const [a, b] = MemoryLink.pair({ delivery: 'manual' });
  const clock = new VirtualClock();
  const client = createStack({ link: a, addresses: ['10.0.0.1', 'fd00::1'], clock, ...options });
  const server = createStack({ link: b, addresses: ['10.0.0.2', 'fd00::2'], clock, ...options });
  return {
    name: 'MemoryLink, virtual clock',
    client,
    server,
    now: () => clock.now(),
    async settle(cond, limitMs = 600_000) {
      const deadline = clock.now() + limitMs;
      for (let guard = 0; guard < 1_000_000; guard++) {
        if (cond()) return;
        // Let stream events and user callbacks run, then move packets.
        await macrotask();
        if (cond()) return;
        if (a.pump() > 0) continue;
        const next = clock.nextDeadline;
        if (next === undefined || next > deadline) {
          await macrotask();
          if (cond()) return;
          if (a.pending + b.pending > 0) continue;
          throw new Error(`not settled: nothing left to happen (virtual time ${clock.now()} ms)`);
        }
        clock.advanceTo(next);
      }
      throw new Error('not settled after a million steps');
    },
    close() {
      client.close();
      server.close();
    },
  };
}
