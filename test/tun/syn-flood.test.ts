// A SYN flood against tcplab with the kernel's raw socket as the attacker: 100 000 SYNs from
// random invented sources, as fast as a raw socket in the namespace takes them (their SYN-ACKs go
// nowhere: the namespace has no route out and does not forward). Meanwhile legitimate kernel
// clients connect and are echoed. SYN cookies keep serving them, the SYN queue and the
// connection table stay bounded, and the counters account for the flood.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apps } from './flood-apps.js';
import { KernelPeer, peerScript } from '../../src/lab/kernel-peer.js';
import { openLabHost, type LabHost } from '../../src/lab/lab-host.js';
import type { Server } from '../../src/net/server.js';
import { describeTun } from './harness.js';

const TCPLAB = '10.96.0.2';
const KERNEL = '10.96.0.1';
const SYNS = 100_000;
const BACKLOG = 128;
const CLIENTS = 8;

describeTun('SYN flood (100k spoofed SYNs): SYN cookies keep serving legitimate clients', (getNs) => {
  let host: LabHost;
  let peer: KernelPeer;
  let server: Server;

  beforeAll(async () => {
    host = openLabHost({ netns: getNs().name, addr: `${TCPLAB}/24`, peerAddr: KERNEL, ipv6: false });
    peer = await KernelPeer.start(getNs());
    server = await apps.echo(host, 80, BACKLOG);
  });
  afterAll(async () => {
    server?.close();
    await peer?.stop();
    host?.close();
  });

  async function deviceDrops(): Promise<number> {
    const out = await getNs().run(['ip', '-s', '-j', 'link', 'show', 'dev', host.device]);
    const link = (JSON.parse(out) as { stats64: { tx: { dropped: number } } }[])[0];
    return link.stats64.tx.dropped;
  }

  it('absorbs the flood with bounded state, answers with cookies, and echoes every legitimate client', async () => {
    const counters = host.net.stack.counters;
    const before = (name: Parameters<typeof counters.get>[0]) => counters.get(name);
    const start = { inSegs: before('TcpInSegs'), sent: before('TcpExtSyncookiesSent'), recv: before('TcpExtSyncookiesRecv'), full: before('TcpExtTCPReqQFullDoCookies'), listenDrops: before('TcpExtListenDrops') };
    const heapBefore = process.memoryUsage().heapUsed;
    const dropsBefore = await deviceDrops();
    let maxSynQueue = 0;
    let maxConnections = 0;
    const listener = server.listener!;
    const sampler = setInterval(() => {
      maxSynQueue = Math.max(maxSynQueue, listener.synQueue.size);
      maxConnections = Math.max(maxConnections, host.net.stack.tcp.connections.size);
    }, 5);

    const flood = new Promise<{ sent: number; seconds: number }>((resolve, reject) => {
      execFile('ip', ['netns', 'exec', getNs().name, 'python3', peerScript('syn_flood.py'), TCPLAB, '80', String(SYNS), '--avoid', '10.96.'], { timeout: 120_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`syn_flood.py: ${stderr || err.message}`));
        else resolve(JSON.parse(stdout) as { sent: number; seconds: number });
      });
    });
    // Legitimate clients once the flood has filled the SYN queue (its half-open requests stay
    // 63 s): each connects, through a cookie, sends, and reads its echo.
    for (const deadline = Date.now() + 30_000; listener.synQueue.size < BACKLOG; ) {
      if (Date.now() > deadline) throw new Error(`the flood never filled the SYN queue (${listener.synQueue.size} of ${BACKLOG})`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const clients = Array.from({ length: CLIENTS }, async (_, i) => {
      const s = await peer.connect(TCPLAB, 80, { timeoutSeconds: 60 });
      const text = `legitimate client ${i}\n`;
      await peer.send(s, text);
      let echoed = '';
      while (echoed.length < text.length) {
        const r = await peer.recv(s, 1024, 30);
        if (r.eof) break;
        echoed += r.data.toString();
      }
      await peer.close(s);
      return echoed === text;
    });
    const { sent, seconds } = await flood;
    const served = await Promise.all(clients);
    clearInterval(sampler);
    const heapAfter = process.memoryUsage().heapUsed;

    // Let tcplab drain what still waits in the device's queue, then read everything at once.
    for (let last = -1; counters.get('TcpInSegs') !== last; ) {
      last = counters.get('TcpInSegs');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // What tcplab could not read in time the kernel dropped at the device's queue.
    const dropped = (await deviceDrops()) - dropsBefore;
    const received = counters.get('TcpInSegs') - start.inSegs;
    const cookiesSent = counters.get('TcpExtSyncookiesSent') - start.sent;
    const cookiesRecv = counters.get('TcpExtSyncookiesRecv') - start.recv;
    process.stdout.write(
      `syn flood: ${sent} SYNs sent in ${seconds.toFixed(2)} s (${Math.round(sent / seconds)}/s); tcplab took ${received} segments (${Math.round(received / seconds)}/s), the device queue dropped ${dropped}, ` +
        `sent ${cookiesSent} cookies, let ${cookiesRecv} cookie connections in; SYN queue at most ${maxSynQueue}, connections at most ${maxConnections}, ` +
        `heap ${((heapAfter - heapBefore) / 1e6).toFixed(1)} MB more\n`,
    );

    expect(sent).toBe(SYNS);
    // Every SYN is accounted for: tcplab took it, or the device's queue dropped it when tcplab
    // could not read as fast as the flood came (a few of the received segments are the clients').
    expect(received + dropped).toBeGreaterThanOrEqual(SYNS);
    expect(received + dropped).toBeLessThanOrEqual(SYNS + CLIENTS * 8);
    // Beyond the SYN queue every SYN got a cookie and left no state behind (each client's own
    // segments, about 6 to 8, are among those received); the listener dropped none.
    expect(cookiesSent).toBeGreaterThanOrEqual(received - BACKLOG - CLIENTS * 8);
    expect(counters.get('TcpExtListenDrops') - start.listenDrops).toBe(0);
    expect(counters.get('TcpExtTCPReqQFullDoCookies') - start.full).toBe(cookiesSent);
    expect(maxSynQueue).toBeLessThanOrEqual(BACKLOG);
    expect(maxConnections).toBeLessThanOrEqual(BACKLOG + CLIENTS + 1);
    // Every legitimate client was served, each through a cookie: the queue was full of the flood.
    expect(served).toEqual(Array(CLIENTS).fill(true));
    expect(cookiesRecv).toBe(CLIENTS);
    // No per-SYN memory: 100k SYNs may not cost what 100k requests would (≈ several hundred MB).
    expect(heapAfter - heapBefore).toBeLessThan(64e6);
  }, 120_000);
});
