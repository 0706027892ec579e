// The host's TCP: listeners, their two queues, active opens, and TIME-WAIT in the table,
// between two tcplab stacks in virtual time.
import { describe, expect, it } from 'vitest';
import { twoHosts } from './two-hosts.js';

describe('TCP between two stacks', () => {
  it('completes a handshake, moves data both ways, and closes through TIME-WAIT for exactly 60 s', () => {
    const h = twoHosts();
    const listener = h.b.listen({ port: 80, backlog: 8 });
    const client = h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
    h.run(10);
    expect(client.connection.stateName).toBe('ESTABLISHED');
    expect(listener.acceptQueue).toHaveLength(1);
    const server = h.b.tcp.accept(listener)!;
    expect(server.connection.stateName).toBe('ESTABLISHED');

    client.connection.write(new TextEncoder().encode('hello'), h.now);
    h.a.tcp.afterUserCall(client);
    h.run(h.now + 300);
    expect(new TextDecoder().decode(server.connection.read(100, h.now))).toBe('hello');

    // Active close on a: FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT once b closes too.
    client.connection.close(h.now);
    h.a.tcp.afterUserCall(client);
    h.run(h.now + 50);
    expect(client.connection.stateName).toBe('FIN-WAIT-2');
    expect(server.connection.stateName).toBe('CLOSE-WAIT');
    server.connection.close(h.now);
    h.b.tcp.afterUserCall(server);
    h.run(h.now + 50);
    expect(client.stateName).toBe('TIME-WAIT');
    // The engine is let go: a compact entry in the TIME-WAIT table holds the 4-tuple.
    expect(h.a.tcp.connections.has(client.key)).toBe(false);
    expect(h.a.tcp.timeWait.table.count).toBe(1);
    const enteredAt = (client.state as { enteredAt: number }).enteredAt;
    h.run(enteredAt + 59_999);
    expect(client.stateName).toBe('TIME-WAIT');
    expect(h.a.tcp.timeWait.lookup(client.local.address, client.local.port, client.remote.address, client.remote.port)).toBeGreaterThanOrEqual(0);
    h.run(enteredAt + 60_000);
    expect(client.stateName).toBe('CLOSED');
    expect(h.a.tcp.timeWait.table.count).toBe(0);
    expect(h.b.tcp.connections.size).toBe(0);
    expect(h.a.counters.get('TcpExtTW')).toBe(1);
    expect(h.a.counters.get('TcpActiveOpens')).toBe(1);
    expect(h.b.counters.get('TcpPassiveOpens')).toBe(1);
  });

  it('backlog 1 admits two connections; the third SYN is dropped silently and counted', () => {
    const h = twoHosts();
    const listener = h.b.listen({ port: 80, backlog: 1 });
    // One after another, as the seed's Python clients connect.
    const clients = [1, 2, 3].map(() => {
      const c = h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
      h.run(h.now + 10);
      return c;
    });
    expect(listener.acceptQueue).toHaveLength(2);
    expect(clients.map((c) => c.connection.stateName)).toEqual(['ESTABLISHED', 'ESTABLISHED', 'SYN-SENT']);
    // The third client keeps retransmitting its SYN on Linux's schedule; each one is dropped.
    const start = h.now - 10;
    h.run(start + 3_500);
    expect(clients[2].connection.stateName).toBe('SYN-SENT');
    const synsOfThird = h.log.filter((l) => l.includes(`.${clients[2].local.port} > 10.0.0.2.80: Flags [S]`));
    expect(synsOfThird.map((l) => Number(l.split(' ')[0]) - start)).toEqual([0, 1000, 2000, 3000]);
    expect(h.b.counters.get('TcpExtListenOverflows')).toBe(4);
    expect(h.b.counters.get('TcpExtListenDrops')).toBe(4);
    // Accepting one makes room: the next retransmitted SYN gets through.
    h.b.tcp.accept(listener);
    h.run(start + 4_500);
    expect(clients[2].connection.stateName).toBe('ESTABLISHED');
  });

  it('a final ACK that finds the accept queue full is dropped: the server stays SYN-RECV and retransmits its SYN-ACK', () => {
    const h = twoHosts();
    const listener = h.b.listen({ port: 80, backlog: 2 });
    for (let i = 0; i < 2; i++) {
      h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
      h.run(h.now + 10);
    }
    // Two wait (not full: full is more than the backlog). Two more SYNs arrive together: both
    // fit in the SYN queue; the first final ACK fills the accept queue, the second finds it full.
    const start = h.now;
    const [c3, c4] = [h.a.connect({ host: '10.0.0.2', port: 80 }, start), h.a.connect({ host: '10.0.0.2', port: 80 }, start)];
    h.run(start + 10);
    expect([c3, c4].map((c) => c.connection.stateName)).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(listener.acceptQueue).toHaveLength(3);
    expect(listener.synQueue.size).toBe(1);
    const [halfOpen] = [...listener.synQueue];
    expect(halfOpen.remote.port).toBe(c4.local.port);
    expect(halfOpen.connection.stateName).toBe('SYN-RECEIVED');
    expect(h.b.counters.get('TcpExtListenOverflows')).toBe(1);
    // Its SYN-ACK timer runs: retransmitted at 1 s; the client answers with an ACK that is
    // dropped again while the queue stays full.
    h.run(start + 1_100);
    const synAcks = h.log.filter((l) => l.includes(`10.0.0.2.80 > 10.0.0.1.${c4.local.port}: Flags [S.]`));
    expect(synAcks.map((l) => Number(l.split(' ')[0]) - start)).toEqual([0, 1000]);
    expect(h.b.counters.get('TcpExtListenOverflows')).toBe(2);
    // Once the application accepts, the next retransmission's ACK completes it.
    h.b.tcp.accept(listener);
    h.run(start + 3_100);
    expect(halfOpen.connection.stateName).toBe('ESTABLISHED');
    expect(listener.acceptQueue).toContain(halfOpen);
  });

  it('refuses a connection to a port nobody listens on (RST → ECONNREFUSED)', () => {
    const h = twoHosts();
    const c = h.a.connect({ host: '10.0.0.2', port: 81 }, 0);
    h.run(10);
    expect(c.connection.stateName).toBe('CLOSED');
    expect(c.connection.error).toBe('ECONNREFUSED');
    expect(h.a.tcp.connections.size).toBe(0);
  });

  it('runs out of ephemeral ports: EADDRNOTAVAIL while TIME-WAIT holds them', () => {
    const h = twoHosts({ ipLocalPortRange: [40000, 40009] });
    const listener = h.b.listen({ port: 80 });
    for (let i = 0; i < 10; i++) {
      const c = h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
      h.run(h.now + 5);
      const s = h.b.tcp.accept(listener)!;
      h.closeInTurn(c, s, 5);
      expect(c.connection.stateName).toBe('TIME-WAIT');
    }
    expect(() => h.a.connect({ host: '10.0.0.2', port: 80 }, h.now)).toThrow(expect.objectContaining({ code: 'EADDRNOTAVAIL' }));
    h.run(h.now + 60_000);
    expect(h.a.connect({ host: '10.0.0.2', port: 80 }, h.now).local.port).toBeGreaterThanOrEqual(40000);
  });

  it('listen on a port that has a listener: EADDRINUSE', () => {
    const h = twoHosts();
    h.b.listen({ port: 80 });
    expect(() => h.b.listen({ port: 80 })).toThrow(expect.objectContaining({ code: 'EADDRINUSE' }));
    expect(() => h.b.listen({ port: 80, address: '10.0.0.2' })).toThrow(expect.objectContaining({ code: 'EADDRINUSE' }));
    expect(h.b.listen({ port: 80, family: 6 }).port).toBe(80);
  });

  it('tcpTwReuse with timestamps: after 1 s in TIME-WAIT, a 4-tuple is taken over (ISN = old SND.NXT + 65537)', () => {
    const h = twoHosts({ ipLocalPortRange: [40000, 40009], tcpTwReuse: 1 });
    const listener = h.b.listen({ port: 80 });
    const closed: { port: number; sndNxt: number }[] = [];
    for (let i = 0; i < 10; i++) {
      const c = h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
      h.run(h.now + 5);
      const s = h.b.tcp.accept(listener)!;
      h.closeInTurn(c, s, 5);
      closed.push({ port: c.local.port, sndNxt: c.connection.sndNxt });
    }
    // Younger than 1 s: not yet.
    expect(() => h.a.connect({ host: '10.0.0.2', port: 80 }, h.now)).toThrow(expect.objectContaining({ code: 'EADDRNOTAVAIL' }));
    h.run(h.now + 1_000);
    const again = h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
    const old = closed.find((c) => c.port === again.local.port)!;
    expect(again.connection.iss).toBe((old.sndNxt + 65537) >>> 0);
    expect(h.a.counters.get('TcpExtTWRecycled')).toBe(1);
    h.run(h.now + 10);
    expect(again.connection.stateName).toBe('ESTABLISHED');
  });

  it('tcpTwReuse 2 (Linux default) reuses only on loopback: EADDRNOTAVAIL between two hosts', () => {
    const h = twoHosts({ ipLocalPortRange: [40000, 40001] });
    const listener = h.b.listen({ port: 80 });
    for (let i = 0; i < 2; i++) {
      const c = h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
      h.run(h.now + 5);
      const s = h.b.tcp.accept(listener)!;
      c.connection.close(h.now);
      h.a.tcp.afterUserCall(c);
      s.connection.close(h.now);
      h.b.tcp.afterUserCall(s);
      h.run(h.now + 5);
    }
    h.run(h.now + 2_000);
    expect(() => h.a.connect({ host: '10.0.0.2', port: 80 }, h.now)).toThrow(expect.objectContaining({ code: 'EADDRNOTAVAIL' }));
  });

  it('reuseaddr: a listener on a port whose connection sits in TIME-WAIT needs SO_REUSEADDR on both', () => {
    for (const reuse of [false, true]) {
      const h = twoHosts();
      const listener = h.b.listen({ port: 80, reuseAddress: reuse });
      const c = h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
      h.run(h.now + 5);
      const s = h.b.tcp.accept(listener)!;
      // The server closes first: its side of the connection goes to TIME-WAIT on port 80.
      h.closeInTurn(s, c, 5);
      expect(s.connection.stateName).toBe('TIME-WAIT');
      h.b.tcp.unlisten(listener, h.now);
      if (reuse) expect(h.b.listen({ port: 80, reuseAddress: true }).port).toBe(80);
      else expect(() => h.b.listen({ port: 80, reuseAddress: true })).toThrow(expect.objectContaining({ code: 'EADDRINUSE' }));
      // Once TIME-WAIT is over, the port is free either way.
      h.run(h.now + 60_000);
      if (!reuse) expect(h.b.listen({ port: 80 }).port).toBe(80);
    }
  });

  it('gives each connection its own timestamp offset (RFC 7323 §5.4): TSval is not the clock', () => {
    const h = twoHosts();
    h.b.listen({ port: 80 });
    h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
    h.run(5);
    const syn = h.log.find((l) => l.includes('Flags [S]'))!;
    const tsval = Number(/TS val (\d+)/.exec(syn)![1]);
    expect(tsval).not.toBe(0);
  });
});
