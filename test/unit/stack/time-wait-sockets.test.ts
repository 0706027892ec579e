// TIME-WAIT as the host keeps it (Linux's inet_timewait_sock): a compact entry in the table
// instead of the engine, answering segments as tcp_timewait_state_process does, holding the
// port, ending at exactly 2 × msl. Packet scripts between two stacks in virtual time.
import { describe, expect, it } from 'vitest';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../../src/wire/index.js';
import type { TcpEvent } from '../../../src/tcp/events.js';
import type { Endpoint } from '../../../src/tcp/outgoing-segment.js';
import { formatIpAddress } from '../../../src/wire/address.js';
import type { StackOptions } from '../../../src/stack/stack.js';
import type { Listener } from '../../../src/stack/listener.js';
import type { TcpEndpoint } from '../../../src/stack/tcp-endpoint.js';
import { virtualEnv } from '../net/env.js';
import { tcpOf, tcpPacket } from './craft.js';
import { twoHosts, type TwoHosts } from './two-hosts.js';

interface Seen {
  readonly from: string;
  readonly to: string;
  readonly cause: string;
  readonly at: number;
  readonly local: string;
  readonly remote: string;
}

/** A stack option that records every state change with its 4-tuple. */
function recorder(): { seen: Seen[]; options: Partial<StackOptions> } {
  const seen: Seen[] = [];
  const name = (e: Endpoint) => `${formatIpAddress(e.address)}:${e.port}`;
  const events = (e: TcpEvent, local: Endpoint, remote: Endpoint) => {
    if (e.type === 'state') seen.push({ from: e.from, to: e.to, cause: e.cause, at: e.at, local: name(local), remote: name(remote) });
  };
  return { seen, options: { events } };
}

/** a connects to b:80, closes first, b closes next: a's side ends in TIME-WAIT. */
function closeFromA(h: TwoHosts, host = '10.0.0.2'): { client: TcpEndpoint; server: TcpEndpoint } {
  const listener = h.b.listen({ port: 80, family: host.includes(':') ? 6 : 4 });
  const client = h.a.connect({ host, port: 80 }, h.now);
  h.run(h.now + 10);
  const server = h.b.tcp.accept(listener)!;
  h.closeInTurn(client, server);
  return { client, server };
}

/** The other way round: b's server closes first, so its side (port 80) waits in TIME-WAIT. */
function closeFromB(h: TwoHosts): { listener: Listener; client: TcpEndpoint; server: TcpEndpoint } {
  const listener = h.b.listen({ port: 80 });
  const client = h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
  h.run(h.now + 10);
  const server = h.b.tcp.accept(listener)!;
  h.closeInTurn(server, client);
  return { listener, client, server };
}

/** Like closeFromA, but a's application shuts down its side and keeps the socket (no orphan):
 *  the connection becomes a timewait socket only when it enters TIME-WAIT. */
function shutdownFromA(h: TwoHosts): { client: TcpEndpoint; server: TcpEndpoint } {
  const listener = h.b.listen({ port: 80 });
  const client = h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
  h.run(h.now + 10);
  const server = h.b.tcp.accept(listener)!;
  client.connection.shutdownWrite(h.now);
  h.a.tcp.afterUserCall(client);
  h.run(h.now + 50);
  h.close(server, 50);
  return { client, server };
}

/** Lose the first packet a sends once `client` is in TIME-WAIT; returns how many were lost. */
function loseFirstTimeWaitAck(h: TwoHosts, client: TcpEndpoint): () => number {
  let dropped = 0;
  h.drop = (_packet, from) => from === 'a' && dropped === 0 && client.stateName === 'TIME-WAIT' && ++dropped > 0;
  return () => dropped;
}

function enteredAt(ep: TcpEndpoint): number {
  const st = ep.state;
  if (st.name !== 'TIME-WAIT') throw new Error(`not in TIME-WAIT: ${st.name}`);
  return st.enteredAt;
}

function slotOf(h: TwoHosts, ep: TcpEndpoint): number {
  return h.a.tcp.timeWait.lookup(ep.local.address, ep.local.port, ep.remote.address, ep.remote.port);
}

describe('TIME-WAIT in the table (Linux tcp_time_wait, tcp_timewait_state_process)', () => {
  it('lets the engine go, keeps a table entry, lists it, and ends it at exactly 2 × msl with a state event', () => {
    const rec = recorder();
    const h = twoHosts(rec.options);
    const { client } = closeFromA(h);
    const t0 = enteredAt(client);
    expect(h.a.tcp.connections.size).toBe(0);
    expect(h.a.tcp.timeWait.table.count).toBe(1);
    expect(h.a.counters.get('TcpExtTW')).toBe(1);
    expect(h.a.tcp.bindings.timeWaitOn(client.local.port)).toBe(1);
    const rows = h.a.tcp.sockets(h.now);
    expect(rows).toEqual([
      {
        state: 'TIME-WAIT',
        family: 4,
        local: client.local,
        remote: client.remote,
        recvQ: 0,
        sendQ: 0,
        timer: { kind: 'timewait', expiresAt: t0 + 60_000, count: 0 },
        owner: 'time-wait',
      },
    ]);

    h.run(t0 + 59_999);
    expect(client.stateName).toBe('TIME-WAIT');
    expect(h.a.tcp.timeWait.table.count).toBe(1);
    h.run(t0 + 60_000);
    expect(client.stateName).toBe('CLOSED');
    expect(h.a.tcp.timeWait.table.count).toBe(0);
    expect(h.a.tcp.bindings.timeWaitOn(client.local.port)).toBe(0);
    expect(h.a.tcp.sockets(h.now)).toEqual([]);
    const local = `10.0.0.1:${client.local.port}`;
    expect(rec.seen.filter((e) => e.local === local).slice(-2)).toEqual([
      { from: 'FIN-WAIT-2', to: 'TIME-WAIT', cause: 'fin', at: t0, local, remote: '10.0.0.2:80' },
      { from: 'TIME-WAIT', to: 'CLOSED', cause: 'timeout', at: t0 + 60_000, local, remote: '10.0.0.2:80' },
    ]);
  });

  it('re-ACKs a retransmitted FIN from the table and restarts 2MSL from it', () => {
    const h = twoHosts();
    const listener = h.b.listen({ port: 80 });
    const client = h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
    h.run(h.now + 10);
    const server = h.b.tcp.accept(listener)!;
    // Lose a's first ACK of b's FIN: b stays in LAST-ACK and sends its FIN again.
    const dropped = loseFirstTimeWaitAck(h, client);
    h.closeInTurn(client, server);
    expect(dropped()).toBe(1);
    expect(server.stateName).toBe('LAST-ACK');
    const t0 = enteredAt(client);
    h.run(t0 + 5_000);
    expect(server.stateName).toBe('CLOSED');
    // The retransmitted FIN and the table's ACK of it, carrying SND.NXT, RCV.NXT and timestamps.
    const port = client.local.port;
    const fin = h.log.filter((l) => l.includes(`10.0.0.2.80 > 10.0.0.1.${port}: Flags [F.]`));
    expect(fin).toHaveLength(2);
    const tRetransmit = Number(fin[1].split(' ')[0]);
    const acks = h.log.filter((l) => l.startsWith(`${tRetransmit} a> `) && l.includes(`Flags [.]`));
    expect(acks).toHaveLength(1);
    expect(acks[0]).toContain(`Flags [.], ack ${client.connection.rcvNxt}, win `);
    expect(acks[0]).toMatch(/options \[nop,nop,TS val \d+ ecr \d+\]/);
    expect((client.state as { expiresAt: number }).expiresAt).toBe(tRetransmit + 60_000);
    h.run(tRetransmit + 59_999);
    expect(client.stateName).toBe('TIME-WAIT');
    h.run(tRetransmit + 60_000);
    expect(client.stateName).toBe('CLOSED');
  });

  it('an in-window RST kills it (tcp_rfc1337 = 0); with tcpRfc1337 it is ignored; an out-of-window RST never kills', () => {
    for (const rfc1337 of [false, true]) {
      const rec = recorder();
      const h = twoHosts({ ...rec.options, tcp: { tcpRfc1337: rfc1337 } });
      const { client } = closeFromA(h);
      const rst = (seq: number) => tcpPacket({ src: '10.0.0.2', dst: '10.0.0.1', srcPort: 80, dstPort: client.local.port, seq, flags: TCP_RST, window: 0 });
      h.a.input(rst(client.connection.rcvNxt + 1000), h.now);
      expect(client.stateName).toBe('TIME-WAIT');
      h.a.input(rst(client.connection.rcvNxt), h.now);
      expect(h.a.takeOutput()).toEqual([]);
      expect(client.stateName).toBe(rfc1337 ? 'TIME-WAIT' : 'CLOSED');
      expect(h.a.tcp.bindings.timeWaitOn(client.local.port)).toBe(rfc1337 ? 1 : 0);
      expect(rec.seen.some((e) => e.from === 'TIME-WAIT' && e.cause === 'rst')).toBe(!rfc1337);
    }
  });

  it('PAWS: an old timestamp is rejected (PAWSTimewait); the duplicate FIN is still ACKed, an old RST ignored', () => {
    const h = twoHosts();
    const { client } = closeFromA(h);
    const c = client.connection;
    const tsOld = (c.tsRecent - 1000) >>> 0;
    const at = h.now + 3_000;
    h.run(at);
    const old = (flags: number, seq: number) =>
      tcpPacket({ src: '10.0.0.2', dst: '10.0.0.1', srcPort: 80, dstPort: client.local.port, seq, ack: c.sndNxt, flags, tsVal: tsOld, tsEcr: 1 });
    h.a.input(old(TCP_FIN | TCP_ACK, c.rcvNxt - 1), h.now);
    const out = h.a.takeOutput().map(tcpOf);
    expect(out.map((s) => [s.flags, s.seq, s.ack, s.tsEcr])).toEqual([[TCP_ACK, c.sndNxt, c.rcvNxt, c.tsRecent]]);
    expect(h.a.counters.get('TcpExtPAWSTimewait')).toBe(1);
    // A PAWS-rejected segment restarts 2MSL (it carries ACK) as Linux does.
    expect((client.state as { expiresAt: number }).expiresAt).toBe(at + 60_000);
    h.a.input(old(TCP_RST, c.rcvNxt), h.now);
    expect(client.stateName).toBe('TIME-WAIT');
    expect(h.a.counters.get('TcpExtPAWSTimewait')).toBe(2);
  });

  it('bare duplicate ACKs are answered at most once per 500 ms (TCPACKSkippedTimeWait)', () => {
    const h = twoHosts();
    const { client } = closeFromA(h);
    const c = client.connection;
    const dup = () => tcpPacket({ src: '10.0.0.2', dst: '10.0.0.1', srcPort: 80, dstPort: client.local.port, seq: c.rcvNxt - 5, ack: c.sndNxt, flags: TCP_ACK });
    h.a.input(dup(), h.now);
    h.a.input(dup(), h.now + 100);
    expect(h.a.takeOutput()).toHaveLength(1);
    expect(h.a.counters.get('TcpExtTCPACKSkippedTimeWait')).toBe(1);
  });

  it('a new SYN with a higher sequence number reopens the 4-tuple with ISN = old SND.NXT + 65537', () => {
    const rec = recorder();
    const h = twoHosts({}, rec.options);
    // The server closes first, so its side (port 80) waits in TIME-WAIT.
    const { listener, client: first, server } = closeFromB(h);
    expect([server.stateName, first.stateName]).toEqual(['TIME-WAIT', 'CLOSED']);
    const oldSndNxt = server.connection.sndNxt;
    // One second later the client connects again from the same port: its ISN (RFC 6528, a
    // clock in it) is past the old RCV.NXT.
    h.run(h.now + 1_000);
    const again = h.a.connect({ host: '10.0.0.2', port: 80, localPort: first.local.port }, h.now);
    h.run(h.now + 10);
    expect(again.connection.stateName).toBe('ESTABLISHED');
    expect(server.stateName).toBe('CLOSED');
    const fresh = h.b.tcp.accept(listener)!;
    expect(fresh.connection.iss).toBe((oldSndNxt + 65537) >>> 0);
    expect(fresh.local.port).toBe(80);
    expect(h.b.tcp.timeWait.table.count).toBe(0);
    // Linux counts TWRecycled only for connect() taking a TIME-WAIT over, not here.
    expect(h.b.counters.get('TcpExtTWRecycled')).toBe(0);
    expect(rec.seen.filter((e) => e.from === 'TIME-WAIT').map((e) => e.cause)).toEqual(['syn']);
  });

  it('RFC 6191: a SYN with an older sequence number but a newer timestamp reopens too; an old one is only ACKed', () => {
    const h = twoHosts();
    const { listener, client, server } = closeFromB(h);
    const s = server.connection;
    const syn = (seq: number, tsVal: number) =>
      tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: client.local.port, dstPort: 80, seq, flags: TCP_SYN, window: 64240, tsVal });
    // Older sequence number, older timestamp: an old duplicate; the entry ACKs it and stays.
    h.b.input(syn(s.rcvNxt - 10, (s.tsRecent - 5) >>> 0), h.now);
    expect(h.b.takeOutput().map(tcpOf).map((x) => [x.flags, x.seq, x.ack, x.dstPort])).toEqual([[TCP_ACK, s.sndNxt, s.rcvNxt, client.local.port]]);
    expect(server.stateName).toBe('TIME-WAIT');
    // Older sequence number, newer timestamp: a new connection (RFC 6191 §2).
    h.b.input(syn(s.rcvNxt - 10, (s.tsRecent + 5) >>> 0), h.now + 600);
    const [synAck] = h.b.takeOutput().map(tcpOf);
    expect([synAck.flags, synAck.seq, synAck.ack]).toEqual([TCP_SYN | TCP_ACK, (s.sndNxt + 65537) >>> 0, (s.rcvNxt - 9) >>> 0]);
    expect(server.stateName).toBe('CLOSED');
    expect(listener.synQueue.size).toBe(1);
  });

  it('a reopening SYN without a listener is ACKed by the entry (TCP_TW_SYN falls through to TCP_TW_ACK)', () => {
    const h = twoHosts();
    const { listener, client, server } = closeFromB(h);
    h.b.tcp.unlisten(listener, h.now);
    const s = server.connection;
    h.b.input(tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: client.local.port, dstPort: 80, seq: s.rcvNxt + 100_000, flags: TCP_SYN, window: 64240 }), h.now);
    expect(h.b.takeOutput().map(tcpOf).map((x) => [x.flags, x.seq, x.ack])).toEqual([[TCP_ACK, s.sndNxt, s.rcvNxt]]);
    expect(server.stateName).toBe('TIME-WAIT');
  });

  it('connect() takes a TIME-WAIT 4-tuple over under tcpTwReuse: the entry ends with cause "reuse", TWRecycled counts it', () => {
    const rec = recorder();
    const h = twoHosts({ ...rec.options, ipLocalPortRange: [40000, 40000], tcpTwReuse: 1 });
    const { client } = closeFromA(h);
    expect(() => h.a.connect({ host: '10.0.0.2', port: 80 }, h.now)).toThrow(expect.objectContaining({ code: 'EADDRNOTAVAIL' }));
    h.run(h.now + 1_001);
    const again = h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
    expect(again.local.port).toBe(40000);
    expect(again.connection.iss).toBe((client.connection.sndNxt + 65537) >>> 0);
    expect(client.stateName).toBe('CLOSED');
    expect(h.a.counters.get('TcpExtTWRecycled')).toBe(1);
    expect(rec.seen.filter((e) => e.from === 'TIME-WAIT').map((e) => e.cause)).toEqual(['reuse']);
    h.run(h.now + 10);
    expect(again.stateName).toBe('ESTABLISHED');
  });

  it('tcpMaxTwBuckets: beyond it a connection closes without TIME-WAIT (TCPTimeWaitOverflow) and frees its port', () => {
    const rec = recorder();
    const h = twoHosts({ ...rec.options, tcpMaxTwBuckets: 1 });
    const first = shutdownFromA(h).client;
    h.b.tcp.unlisten([...h.b.tcp.listeners.values()][0], h.now);
    const second = shutdownFromA(h).client;
    expect(first.stateName).toBe('TIME-WAIT');
    expect(second.stateName).toBe('CLOSED');
    expect(h.a.tcp.timeWait.table.count).toBe(1);
    expect(h.a.counters.get('TcpExtTCPTimeWaitOverflow')).toBe(1);
    expect(h.a.counters.get('TcpExtTW')).toBe(1);
    expect(h.a.tcp.bindings.timeWaitOn(second.local.port)).toBe(0);
    expect(rec.seen.filter((e) => e.from === 'TIME-WAIT').map((e) => e.cause)).toEqual(['tw-overflow']);
  });

  it('msl 0: no TIME-WAIT at all', () => {
    const h = twoHosts({ tcp: { msl: 0 } });
    const { client } = shutdownFromA(h);
    expect(client.stateName).toBe('CLOSED');
    expect(h.a.tcp.timeWait.table.count).toBe(0);
    expect(h.a.counters.get('TcpExtTW')).toBe(0);
    expect(h.a.tcp.bindings.isHeld(client.local.port)).toBe(false);
  });

  it('a short 2MSL (msl 1 s) counts as TWKilled, as Linux counts TIME-WAITs of 4 s or less, and ends at exactly 2 s', () => {
    const h = twoHosts({ tcp: { msl: 1_000 } });
    const { client } = shutdownFromA(h);
    const t0 = enteredAt(client);
    expect([h.a.counters.get('TcpExtTW'), h.a.counters.get('TcpExtTWKilled')]).toEqual([0, 1]);
    h.run(t0 + 1_999);
    expect(client.stateName).toBe('TIME-WAIT');
    h.run(t0 + 2_000);
    expect(client.stateName).toBe('CLOSED');
  });

  it('an orphan (close() before the peer\'s FIN) counted once, at FIN-WAIT-2 with its 60 s FIN timeout, not again in TIME-WAIT', () => {
    // Linux tcp_close → tcp_time_wait(sk, TCP_FIN_WAIT2, tmo) schedules (and counts) the
    // timewait socket; the FIN then only reschedules it (inet_twsk_reschedule).
    const h = twoHosts({ tcp: { msl: 1_000 } });
    const { client } = closeFromA(h);
    expect(client.stateName).toBe('TIME-WAIT');
    expect([h.a.counters.get('TcpExtTW'), h.a.counters.get('TcpExtTWKilled')]).toEqual([1, 0]);
  });

  it('keeps IPv6 TIME-WAIT entries: listed as family 6, a retransmitted FIN re-ACKed, gone at 60 s', () => {
    const h = twoHosts();
    const listener = h.b.listen({ port: 80, family: 6 });
    const client = h.a.connect({ host: 'fd00::2', port: 80 }, h.now);
    h.run(h.now + 10);
    const server = h.b.tcp.accept(listener)!;
    loseFirstTimeWaitAck(h, client);
    h.close(client);
    h.close(server, 3_000);
    expect(server.stateName).toBe('CLOSED');
    const [row] = h.a.tcp.sockets(h.now);
    expect([row.state, row.family, row.owner]).toEqual(['TIME-WAIT', 6, 'time-wait']);
    const expiresAt = row.timer!.expiresAt;
    h.run(expiresAt - 1);
    expect(slotOf(h, client)).toBeGreaterThanOrEqual(0);
    h.run(expiresAt);
    expect(slotOf(h, client)).toBe(-1);
  });

  it('the Socket of the net layer shows TIME-WAIT, then CLOSED once the entry ends', async () => {
    const env = virtualEnv();
    try {
      env.server.createServer((s) => s.end()).listen({ port: 80 });
      const socket = env.client.connect({ host: '10.0.0.2', port: 80 }, () => socket.end());
      socket.resume();
      await env.settle(() => socket.tcpState === 'TIME-WAIT');
      const { expiresAt } = socket.endpoint!.state as { expiresAt: number };
      expect(env.client.stack.tcp.connections.size).toBe(0);
      await env.settle(() => socket.tcpState === 'CLOSED');
      expect(env.now()).toBe(expiresAt);
    } finally {
      env.close();
    }
  });
});
