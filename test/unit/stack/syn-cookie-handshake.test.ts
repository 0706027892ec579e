// SYN cookies in the host (Linux tcp_conn_request with want_cookie, cookie_v4_check): packet
// scripts between two stacks in virtual time, and hand-made ACKs against a listener.
import { describe, expect, it } from 'vitest';
import { TCP_ACK, TCP_RST, TCP_SYN } from '../../../src/wire/index.js';
import type { TcpEndpoint } from '../../../src/stack/tcp-endpoint.js';
import type { Listener } from '../../../src/stack/listener.js';
import { tcpOf, tcpPacket } from './craft.js';
import { twoHosts, type TwoHosts } from './two-hosts.js';

function serverSideOf(listener: Listener, client: TcpEndpoint): TcpEndpoint {
  const ep = listener.acceptQueue.find((e) => e.remote.port === client.local.port);
  if (!ep) throw new Error(`no server side for client port ${client.local.port}`);
  return ep;
}

/** The SYN-ACKs b sent to `client`, as parsed segments. */
function synAcksTo(h: TwoHosts, client: TcpEndpoint): string[] {
  return h.log.filter((l) => l.includes(` > ${client.local.address === 0x0a000001 ? '10.0.0.1' : 'fd00::1'}.${client.local.port}: Flags [S.]`));
}

const encoder = new TextEncoder();

describe('SYN cookies (tcp_syncookies)', () => {
  it('backlog 1, two SYNs at the same moment: both complete, the second through a cookie (tcp_syncookies = 1)', () => {
    const h = twoHosts();
    const listener = h.b.listen({ port: 80, backlog: 1 });
    const clients = [h.a.connect({ host: '10.0.0.2', port: 80 }, h.now), h.a.connect({ host: '10.0.0.2', port: 80 }, h.now)];
    h.run(10);
    expect(clients.map((c) => c.stateName)).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(listener.acceptQueue).toHaveLength(2);
    expect(listener.synQueue.size).toBe(0);
    const b = h.b.counters;
    expect([b.get('TcpExtTCPReqQFullDoCookies'), b.get('TcpExtSyncookiesSent'), b.get('TcpExtSyncookiesRecv'), b.get('TcpExtSyncookiesFailed')]).toEqual([1, 1, 1, 0]);
    expect([b.get('TcpPassiveOpens'), b.get('TcpExtListenDrops')]).toEqual([2, 0]);
    // The cookie carried what the SYN offered: MSS 1460 in the ISN; window scale 7 and SACK in
    // the low 6 bits of the SYN-ACK's TSval (cookie_init_timestamp): 7 | 1 << 4.
    const cookied = serverSideOf(listener, clients[1]).connection;
    expect([cookied.peerMss, cookied.sndWscale, cookied.sackEnabled, cookied.timestampsEnabled]).toEqual([1460, 7, true, true]);
    const [synAck] = synAcksTo(h, clients[1]);
    const tsVal = Number(/TS val (\d+)/.exec(synAck)![1]);
    expect(((tsVal - cookied.tsOffset) >>> 0) & 63).toBe(0x17);
    expect(synAck).toContain(`seq ${cookied.iss}, ack ${cookied.irs! + 1}`);
    expect(synAck).toMatch(/win 65160, options \[mss 1460,sackOK,TS val \d+ ecr \d+,nop,wscale 7\]/);
  });

  it('tcpSyncookies 2: every SYN gets a cookie, nothing waits in the SYN queue, and data flows both ways', () => {
    const h = twoHosts({}, { tcpSyncookies: 2 });
    const listener = h.b.listen({ port: 80 });
    const client = h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
    h.run(0);
    expect(listener.synQueue.size).toBe(0);
    h.run(10);
    const server = h.b.tcp.accept(listener)!;
    expect([client.stateName, server.stateName]).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    client.connection.write(encoder.encode('ping'), h.now);
    h.a.tcp.afterUserCall(client);
    server.connection.write(encoder.encode('pong'), h.now);
    h.b.tcp.afterUserCall(server);
    h.run(h.now + 300);
    expect(new TextDecoder().decode(server.connection.read(100, h.now))).toBe('ping');
    expect(new TextDecoder().decode(client.connection.read(100, h.now))).toBe('pong');
    expect([h.b.counters.get('TcpExtSyncookiesSent'), h.b.counters.get('TcpExtSyncookiesRecv')]).toEqual([1, 1]);
  });

  it('a SYN without timestamps: the cookie SYN-ACK offers MSS only (Linux clears the rest), and the MSS comes back from msstab', () => {
    // MTU 1400: a offers MSS 1360, which the cookie rounds down to 1300.
    const h = twoHosts({ mtu: 1400, tcp: { tcpTimestamps: false } }, { tcpSyncookies: 2 });
    const listener = h.b.listen({ port: 80 });
    const client = h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
    h.run(10);
    const [synAck] = synAcksTo(h, client);
    expect(synAck).toMatch(/win 64240, options \[mss 1460\], length 0$/);
    const server = h.b.tcp.accept(listener)!;
    const c = server.connection;
    expect([c.peerMss, c.wscaleOn, c.sackEnabled, c.timestampsEnabled]).toEqual([1300, false, false, false]);
    server.connection.write(new Uint8Array(5000), h.now);
    h.b.tcp.afterUserCall(server);
    h.run(h.now + 500);
    expect(client.connection.read(10_000, h.now).length).toBe(5000);
    const sizes = h.log.filter((l) => l.includes('10.0.0.2.80 > ') && !l.includes('length 0')).map((l) => Number(/length (\d+)/.exec(l)![1]));
    expect(Math.max(...sizes)).toBe(1300);
  });

  it('tcpSyncookies 0: a full SYN queue drops the SYN (TCPReqQFullDrop); the client gets in with its retransmission', () => {
    const h = twoHosts({}, { tcpSyncookies: 0 });
    const listener = h.b.listen({ port: 80, backlog: 1 });
    const clients = [h.a.connect({ host: '10.0.0.2', port: 80 }, h.now), h.a.connect({ host: '10.0.0.2', port: 80 }, h.now)];
    h.run(10);
    expect(clients.map((c) => c.stateName)).toEqual(['ESTABLISHED', 'SYN-SENT']);
    expect([h.b.counters.get('TcpExtTCPReqQFullDrop'), h.b.counters.get('TcpExtListenDrops'), h.b.counters.get('TcpExtSyncookiesSent')]).toEqual([1, 1, 0]);
    h.run(1_010);
    expect(clients[1].stateName).toBe('ESTABLISHED');
    expect(listener.acceptQueue).toHaveLength(2);
  });

  it('a full accept queue still drops SYNs silently, cookies or not (ListenOverflows)', () => {
    const h = twoHosts({}, { tcpSyncookies: 2 });
    const listener = h.b.listen({ port: 80, backlog: 1 });
    for (let i = 0; i < 2; i++) {
      h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
      h.run(h.now + 10);
    }
    expect(listener.acceptQueue).toHaveLength(2);
    const third = h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
    h.run(h.now + 10);
    expect(third.stateName).toBe('SYN-SENT');
    expect(synAcksTo(h, third)).toEqual([]);
    expect([h.b.counters.get('TcpExtListenOverflows'), h.b.counters.get('TcpExtListenDrops'), h.b.counters.get('TcpExtSyncookiesSent')]).toEqual([1, 1, 2]);
  });

  it("a cookie's ACK that finds the accept queue full is dropped; the client's data completes it once there is room", () => {
    const h = twoHosts({}, { tcpSyncookies: 2 });
    const listener = h.b.listen({ port: 80, backlog: 1 });
    const clients = [0, 1, 2].map(() => h.a.connect({ host: '10.0.0.2', port: 80 }, h.now));
    h.run(10);
    // All three got a SYN-ACK and believe they are connected; only two fit.
    expect(clients.map((c) => c.stateName)).toEqual(['ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED']);
    expect(listener.acceptQueue).toHaveLength(2);
    expect(h.b.tcp.connections.size).toBe(2);
    expect([h.b.counters.get('TcpExtSyncookiesRecv'), h.b.counters.get('TcpExtListenOverflows')]).toEqual([3, 1]);
    h.b.tcp.accept(listener);
    const late = clients[2];
    late.connection.write(encoder.encode('hello'), h.now);
    h.a.tcp.afterUserCall(late);
    h.run(h.now + 10);
    const server = serverSideOf(listener, late);
    expect(server.stateName).toBe('ESTABLISHED');
    expect(new TextDecoder().decode(server.connection.read(100, h.now))).toBe('hello');
  });

  it('a forged ACK fails the check (SyncookiesFailed) and gets a RST; 2 minutes after the last cookie, ACKs are not checked at all', () => {
    const h = twoHosts({}, { tcpSyncookies: 2 });
    h.b.listen({ port: 80 });
    h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
    h.run(10);
    const forged = () => tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 50000, dstPort: 80, seq: 1000, ack: 123456, flags: TCP_ACK });
    h.b.input(forged(), h.now);
    expect(h.b.takeOutput().map(tcpOf).map((s) => [s.flags, s.seq])).toEqual([[TCP_RST, 123456]]);
    expect(h.b.counters.get('TcpExtSyncookiesFailed')).toBe(1);
    expect(h.b.tcp.connections.size).toBe(1);
    h.run(h.now + 120_001);
    h.b.input(forged(), h.now);
    expect(h.b.takeOutput().map(tcpOf).map((s) => s.flags)).toEqual([TCP_RST]);
    expect(h.b.counters.get('TcpExtSyncookiesFailed')).toBe(1);
  });

  it('a cookie older than two minute ticks is refused (MAX_SYNCOOKIE_AGE): the late data meets a RST', () => {
    const h = twoHosts({}, { tcpSyncookies: 2 });
    h.b.listen({ port: 80 });
    let lostAck = false;
    // The client's final ACK is lost: the server knows nothing of the connection.
    h.drop = (packet, from) => {
      const s = tcpOf(packet);
      if (from !== 'a' || lostAck || s.flags !== TCP_ACK) return false;
      return (lostAck = true);
    };
    const client = h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
    h.run(10);
    expect([client.stateName, h.b.tcp.connections.size]).toEqual(['ESTABLISHED', 0]);
    // Another client keeps the listener's cookie clock recent.
    h.run(125_000);
    h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
    h.run(h.now + 10);
    client.connection.write(encoder.encode('late'), h.now);
    h.a.tcp.afterUserCall(client);
    h.run(h.now + 10);
    expect(h.b.counters.get('TcpExtSyncookiesFailed')).toBe(1);
    expect([client.stateName, client.connection.error]).toEqual(['CLOSED', 'ECONNRESET']);
  });

  it('IPv6: the cookie carries Linux’s IPv6 msstab (1440 at MTU 1500)', () => {
    const h = twoHosts();
    const listener = h.b.listen({ port: 80, family: 6, backlog: 1 });
    const clients = [h.a.connect({ host: 'fd00::2', port: 80 }, h.now), h.a.connect({ host: 'fd00::2', port: 80 }, h.now)];
    h.run(10);
    expect(clients.map((c) => c.stateName)).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(h.b.counters.get('TcpExtSyncookiesRecv')).toBe(1);
    expect(serverSideOf(listener, clients[1]).connection.peerMss).toBe(1440);
  });

  it('a SYN reopening a TIME-WAIT 4-tuple skips the SYN queue test: no cookie for it', () => {
    const h = twoHosts({}, { tcpSyncookies: 1 });
    const listener = h.b.listen({ port: 80, backlog: 1 });
    const first = h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
    h.run(10);
    const server = h.b.tcp.accept(listener)!;
    h.closeInTurn(server, first);
    expect(server.stateName).toBe('TIME-WAIT');
    // Fill the SYN queue with a half-open request whose SYN-ACK goes unanswered.
    h.b.input(tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 50001, dstPort: 80, seq: 1, flags: TCP_SYN, window: 64240 }), h.now);
    h.b.takeOutput();
    expect(listener.synQueue.size).toBe(1);
    h.run(h.now + 500);
    const again = h.a.connect({ host: '10.0.0.2', port: 80, localPort: first.local.port }, h.now);
    h.run(h.now + 10);
    expect(again.stateName).toBe('ESTABLISHED');
    expect(h.b.counters.get('TcpExtSyncookiesSent')).toBe(0);
    expect(serverSideOf(listener, again).connection.iss).toBe((server.connection.sndNxt + 65537) >>> 0);
  });
});
