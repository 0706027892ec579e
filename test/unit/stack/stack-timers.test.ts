// The stack's timers through its timer wheel: nextDeadline() is the exact earliest deadline of
// every connection and TIME-WAIT entry, and poll() visits only what is due.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Connection } from '../../../src/tcp/connection.js';
import type { Stack } from '../../../src/stack/stack.js';
import type { TcpEndpoint } from '../../../src/stack/tcp-endpoint.js';
import { twoHosts } from './two-hosts.js';

/** What the stack used to compute by scanning: the earliest deadline of all. */
function scanned(stack: Stack): number | undefined {
  let earliest = stack.tcp.timeWait.nextExpiry();
  for (const ep of stack.tcp.connections.values()) {
    const d = ep.connection.nextDeadline();
    if (d !== undefined && (earliest === undefined || d < earliest)) earliest = d;
  }
  return earliest;
}

/** A deterministic pseudo-random sequence (xorshift32). */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the stack timer wheel', () => {
  it('poll visits only the connections whose deadline is due, and no other connection is asked for its deadline', () => {
    const h = twoHosts();
    const listener = h.b.listen({ port: 80 });
    const clients: TcpEndpoint[] = [];
    for (let i = 0; i < 50; i++) clients.push(h.a.connect({ host: '10.0.0.2', port: 80 }, h.now));
    h.run(h.now + 10);
    const servers = clients.map(() => h.b.tcp.accept(listener)!);
    // Quiet connections with keepalive: 50 deadlines two hours away on each side.
    for (const ep of [...clients, ...servers]) {
      ep.connection.setKeepAlive(true, undefined, h.now);
      (clients.includes(ep) ? h.a : h.b).tcp.afterUserCall(ep);
    }
    h.run(h.now + 1_000);
    const poll = vi.spyOn(Connection.prototype, 'poll');
    const asked = vi.spyOn(Connection.prototype, 'nextDeadline');
    // One connection sends data and its ACK is lost: only that connection's loss probe (or
    // retransmission) timer is due, on a; nothing at all on b.
    let lost = 0;
    h.drop = (_packet, from) => from === 'b' && lost++ === 0;
    clients[7].connection.write(new Uint8Array(100), h.now);
    h.a.tcp.afterUserCall(clients[7]);
    h.run(h.now + 1_000);
    expect(lost).toBeGreaterThan(1);
    expect(poll.mock.contexts.length).toBeGreaterThan(0);
    expect(new Set(poll.mock.contexts)).toEqual(new Set([clients[7].connection]));
    expect(servers[7].connection.readable).toBe(100);
    // No scan: the other 98 connections were never even asked for their deadline.
    expect(new Set(asked.mock.contexts)).toEqual(new Set([clients[7].connection, servers[7].connection]));
    expect(h.b.nextDeadline()).toBe(scanned(h.b));
    expect(h.b.nextDeadline()).toBeGreaterThan(h.now + 7_000_000);
  });

  it('nextDeadline() equals the scan over every engine and the TIME-WAIT table, through a lossy transfer and the closes', () => {
    const h = twoHosts();
    const next = random(42);
    h.drop = () => next() < 0.05;
    const listener = h.b.listen({ port: 80 });
    const clients = [0, 1, 2, 3].map(() => h.a.connect({ host: '10.0.0.2', port: 80 }, h.now));
    let servers: TcpEndpoint[] = [];
    let checks = 0;
    const check = () => {
      for (const stack of [h.a, h.b]) expect(stack.nextDeadline()).toBe(scanned(stack));
      checks++;
    };
    for (let step = 0; step < 400; step++) {
      h.run(h.now + 13);
      check();
      if (servers.length < clients.length) {
        for (let ep = h.b.tcp.accept(listener); ep; ep = h.b.tcp.accept(listener)) servers.push(ep);
      }
      if (step < 200) {
        for (const c of clients) {
          if (c.stateName !== 'ESTABLISHED') continue;
          c.connection.write(new Uint8Array(3000), h.now);
          h.a.tcp.afterUserCall(c);
        }
      }
      for (const s of servers) {
        if (s.connection.readable > 0) {
          s.connection.read(1 << 20, h.now);
          h.b.tcp.afterUserCall(s);
        }
      }
      if (step === 250) {
        for (const c of clients) {
          c.connection.close(h.now);
          h.a.tcp.afterUserCall(c);
        }
      }
      if (step === 260) {
        servers = servers.filter((s) => s.stateName !== 'CLOSED');
        for (const s of servers) {
          s.connection.close(h.now);
          h.b.tcp.afterUserCall(s);
        }
      }
    }
    expect(checks).toBe(400);
    expect(h.a.tcp.timeWait.table.count).toBeGreaterThan(0);
    h.run(h.now + 200_000);
    check();
    expect(h.a.nextDeadline()).toBeUndefined();
  });
});
