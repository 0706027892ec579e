// The stack's TIME-WAIT table and SYN cookies against the kernel over a real TUN device: tcplab
// closes first and its TIME-WAIT entries are listed, then expire; kernel clients connect through
// SYN cookies (a full SYN queue with tcp_syncookies = 1, and every SYN with 2) and move data.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KernelPeer } from '../../src/lab/kernel-peer.js';
import { openLabHost, type LabHost } from '../../src/lab/lab-host.js';
import { patternSha256 } from '../../src/lab/pattern.js';
import type { Socket } from '../../src/net/socket.js';
import type { TcpEvent } from '../../src/tcp/events.js';
import type { Endpoint } from '../../src/tcp/outgoing-segment.js';
import { describeTun } from './harness.js';

const TCPLAB = '10.95.0.2';
const KERNEL = '10.95.0.1';
const MSL = 500;

describeTun('TIME-WAIT entries and SYN cookies with the kernel as the peer', (getNs) => {
  let host: LabHost;
  let peer: KernelPeer;
  const closes: { port: number; cause: string; at: number }[] = [];

  beforeAll(async () => {
    host = openLabHost({
      netns: getNs().name,
      addr: `${TCPLAB}/24`,
      peerAddr: KERNEL,
      ipv6: false,
      faults: {},
      stack: {
        tcp: { msl: MSL },
        events: (e: TcpEvent, local: Endpoint) => {
          if (e.type === 'state' && e.from === 'TIME-WAIT') closes.push({ port: local.port, cause: e.cause, at: e.at });
        },
      },
    });
    peer = await KernelPeer.start(getNs());
  });
  afterAll(async () => {
    await peer?.stop();
    host?.close();
  });

  const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
  async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await tick();
    }
  }

  it('tcplab closes first: its TIME-WAIT entries are listed (timer timewait, owner time-wait), then expire after 2 × msl', async () => {
    const listener = await peer.listen(6001, { host: KERNEL });
    const sockets: Socket[] = [];
    for (let i = 0; i < 5; i++) {
      const socket = host.net.connect({ host: KERNEL, port: 6001 });
      const accepted = await peer.accept(listener);
      await until('connected', () => socket.tcpState === 'ESTABLISHED');
      socket.end();
      expect((await peer.recv(accepted, 10)).eof).toBe(true);
      await peer.close(accepted);
      sockets.push(socket);
    }
    await until('TIME-WAIT', () => sockets.every((s) => s.tcpState === 'TIME-WAIT'));
    const ports = sockets.map((s) => s.localPort!).sort();
    // The engines are gone: only table entries hold the 4-tuples.
    expect([...host.net.stack.tcp.connections.values()].filter((e) => e.remote.port === 6001)).toEqual([]);
    const rows = host.net.stack.tcp.sockets(host.net.now()).filter((r) => r.remote?.port === 6001);
    expect(rows.map((r) => [r.state, r.owner, r.recvQ, r.sendQ, r.timer?.kind]).sort()).toEqual(ports.map(() => ['TIME-WAIT', 'time-wait', 0, 0, 'timewait']));
    expect(rows.map((r) => r.local.port).sort()).toEqual(ports);
    const expiries = new Map(rows.map((r) => [r.local.port, r.timer!.expiresAt]));
    for (const s of sockets) expect(expiries.get(s.localPort!)).toBe((s.endpoint!.state as { enteredAt: number }).enteredAt + 2 * MSL);

    await until('the end of TIME-WAIT', () => sockets.every((s) => s.tcpState === 'CLOSED'), 10 * MSL);
    expect(host.net.stack.tcp.sockets(host.net.now()).filter((r) => r.remote?.port === 6001)).toEqual([]);
    const ended = closes.filter((c) => ports.includes(c.port));
    expect(ended.map((c) => c.cause)).toEqual(ports.map(() => 'timeout'));
    for (const c of ended) expect(c.at).toBeGreaterThanOrEqual(expiries.get(c.port)!);
    expect(host.net.stack.counters.get('TcpExtTWKilled')).toBeGreaterThanOrEqual(5);
    await peer.close(listener);
  });

  it('a full SYN queue (backlog 1, a half-open request held) sends a cookie: the kernel client connects and echoes data', async () => {
    const server = host.net.createServer((s) => s.pipe(s));
    server.listen({ port: 6002, backlog: 1 });
    // The first client's final ACK never reaches tcplab: its request stays in the SYN queue.
    host.faults!.addRule({ direction: 'in', match: { flags: '.', srcPort: 41001, dstPort: 6002, dataLength: 0 }, action: { kind: 'drop' }, times: Infinity });
    await peer.connect(TCPLAB, 6002, { bind: [KERNEL, 41001] });
    await until('a half-open request', () => server.listener!.synQueue.size === 1);
    const before = host.net.stack.counters.snapshot();
    const client = await peer.connect(TCPLAB, 6002, { bind: [KERNEL, 41002] });
    const bytes = 1_000_000;
    const [sent, echoed] = await Promise.all([peer.sendPattern(client, bytes), peer.recvAll(client, { bytes })]);
    expect(sent).toBe(patternSha256(bytes));
    expect(echoed).toEqual({ received: bytes, sha256: sent });
    const moved = (name: string) => host.net.stack.counters.get(name as never) - (before[name] ?? 0);
    expect(moved('TcpExtTCPReqQFullDoCookies')).toBeGreaterThanOrEqual(1);
    expect(moved('TcpExtSyncookiesSent')).toBeGreaterThanOrEqual(1);
    expect(moved('TcpExtSyncookiesRecv')).toBe(1);
    expect(moved('TcpExtSyncookiesFailed')).toBe(0);
    await peer.close(client);
    server.close();
  });

  it('tcpSyncookies 2: every kernel SYN gets a cookie; the connections keep wscale, SACK and timestamps, and move data both ways', async () => {
    host.net.stack.tcp.tcpSyncookies = 2;
    try {
      const accepted: Socket[] = [];
      const server = host.net.createServer((s) => {
        accepted.push(s);
        s.pipe(s);
      });
      server.listen({ port: 6003 });
      const before = host.net.stack.counters.snapshot();
      const clients = [];
      for (let i = 0; i < 3; i++) clients.push(await peer.connect(TCPLAB, 6003));
      for (const client of clients) {
        const bytes = 300_000;
        const [sent, echoed] = await Promise.all([peer.sendPattern(client, bytes), peer.recvAll(client, { bytes })]);
        expect(echoed).toEqual({ received: bytes, sha256: sent });
      }
      const moved = (name: string) => host.net.stack.counters.get(name as never) - (before[name] ?? 0);
      expect(moved('TcpExtSyncookiesSent')).toBeGreaterThanOrEqual(3);
      expect(moved('TcpExtSyncookiesRecv')).toBe(3);
      expect(server.listener!.synQueue.size).toBe(0);
      // The options the SYN-ACK's timestamp carried came back with each final ACK: tcplab's
      // side uses the kernel's window scale, SACK and timestamps, and the kernel (ss -i) scales
      // both ways.
      expect(accepted.map((s) => s.endpoint!.connection).map((c) => [c.timestampsEnabled, c.sackEnabled, c.wscaleOn, c.sndWscale])).toEqual(
        clients.map(() => [true, true, true, 7]),
      );
      const info = await getNs().run(['ss', '-tin', 'state', 'established', '( dport = :6003 )']);
      expect(info.match(/\bwscale:7,7\b/g)).toHaveLength(3);
      for (const client of clients) await peer.close(client);
      server.close();
    } finally {
      host.net.stack.tcp.tcpSyncookies = 1;
    }
  });
});
