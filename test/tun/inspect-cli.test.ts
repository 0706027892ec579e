// `tcplab ss`, `tcplab nstat` and `tcplab trace` from another process, against a running
// `tcplab serve`, as a user runs them from a second terminal. Seed 001 by hand (backlog 1, no
// accept, three kernel clients): nstat shows ListenOverflows and ListenDrops growing with each
// retransmission of the third SYN. With two tcplabs running, a plain error lists them and --pid
// picks one.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { KernelPeer } from '../../src/lab/kernel-peer.js';
import { parseSs } from '../../src/lab/kernel-ss.js';
import { Netns } from '../../src/lab/netns.js';
import { tcplab, tcplabRunning } from './cli-child.js';
import { describeTun } from './harness.js';

/** nstat's lines as counter → value. */
function counters(text: string): Record<string, number> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => {
        const [name, value] = l.split(/\s+/);
        return [name, Number(value)];
      }),
  );
}

describeTun('tcplab ss, nstat and trace against a running tcplab', () => {
  let runtime: string;
  let env: NodeJS.ProcessEnv;
  const started: { child: ChildProcess; ns?: string }[] = [];

  async function serve(port: number): Promise<{ child: ChildProcess; ns: string }> {
    const s = tcplabRunning(['serve', '--port', String(port), '--backlog', '1', '--no-accept'], env);
    const entry: { child: ChildProcess; ns?: string } = { child: s.child };
    started.push(entry);
    const ns = (await s.waitFor(/network namespace (\S+);[\s\S]*Ctrl-C to stop\./))[1];
    entry.ns = ns;
    return { child: s.child, ns };
  }

  async function stop(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  beforeAll(() => {
    runtime = mkdtempSync(join(tmpdir(), 'tcplab-cli-'));
    env = { ...process.env, XDG_RUNTIME_DIR: runtime };
  });
  afterEach(async () => {
    for (const { child, ns } of started.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        await stop(child);
        // serve removes its namespace on SIGTERM; this is for one that could not.
        if (ns) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      }
    }
  });
  afterAll(() => rmSync(runtime, { recursive: true, force: true }));

  it('seed 001: ss shows the full accept queue, nstat ListenOverflows and ListenDrops growing, trace the dropped SYNs', async () => {
    const { child, ns } = await serve(50000);
    // The first read: everything since the start (nothing of the experiment yet).
    const first = await tcplab(['nstat'], env);
    expect(first.code).toBe(0);
    expect(first.stdout.startsWith('#kernel\n')).toBe(true);
    expect(counters(first.stdout)).not.toHaveProperty('TcpExtListenOverflows');

    // The seed's client, three times, each left open: non-blocking connects 0.2 s apart.
    const peer = await KernelPeer.start(Netns.attach(ns));
    for (let i = 0; i < 3; i++) {
      await peer.connect('10.77.0.2', 50000, { nonblocking: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await expect.poll(async () => counters((await tcplab(['nstat', '-s', 'TcpExtListen*'], env)).stdout).TcpExtListenOverflows ?? 0, { timeout: 5000, interval: 100 }).toBeGreaterThan(0);
    const second = counters((await tcplab(['nstat'], env)).stdout);
    expect(second.TcpPassiveOpens).toBe(2);
    expect(second.TcpExtListenOverflows).toBeGreaterThanOrEqual(1);
    expect(second.TcpExtListenDrops).toBe(second.TcpExtListenOverflows);
    // The third client retransmits its SYN every second: each one is dropped, and counted.
    await expect.poll(async () => counters((await tcplab(['nstat', '-s', 'TcpExtListen*'], env)).stdout).TcpExtListenOverflows ?? 0, { timeout: 5000, interval: 200 }).toBeGreaterThan(0);
    const third = counters((await tcplab(['nstat', 'TcpExtListen*'], env)).stdout);
    expect(third).toEqual({ TcpExtListenOverflows: third.TcpExtListenOverflows, TcpExtListenDrops: third.TcpExtListenOverflows });
    expect(third.TcpExtListenOverflows).toBeGreaterThanOrEqual(1);
    const absolute = counters((await tcplab(['nstat', '-az', 'TcpExtListen*', 'TcpExtTCPReqQFullDrop'], env)).stdout);
    // Everything since the start: at least what the increments added up to (another SYN may
    // have been dropped since), every drop a ListenOverflow, none for a full SYN queue.
    expect(absolute.TcpExtListenOverflows).toBeGreaterThanOrEqual(second.TcpExtListenOverflows + third.TcpExtListenOverflows);
    expect(absolute).toEqual({ TcpExtListenOverflows: absolute.TcpExtListenOverflows, TcpExtListenDrops: absolute.TcpExtListenOverflows, TcpExtTCPReqQFullDrop: 0 });

    // ss: LISTEN with two connections waiting (backlog 1 admits two), both ESTAB.
    const ss = parseSs((await tcplab(['ss', '-tan'], env)).stdout);
    expect(ss.map((r) => `${r.state} ${r.recvQ} ${r.sendQ}`)).toEqual(['LISTEN 2 1', 'ESTAB 0 0', 'ESTAB 0 0']);
    const counts = await tcplab(['ss', '--counts'], env);
    expect(counts.stdout).toBe('State        Count  netstat\nESTAB            2  ESTABLISHED\n');

    // trace: the handshakes and the dropped SYNs, as JSON lines, and followed live.
    const trace = (await tcplab(['trace', '--json'], env)).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(trace.filter((e) => e.type === 'state' && e.to === 'ESTABLISHED')).toHaveLength(2);
    const drops = trace.filter((e) => e.type === 'drop' && e.reason === 'accept-queue-full');
    // (Read after the counters: a retransmitted SYN may have been dropped in between.)
    expect(drops.length).toBeGreaterThanOrEqual(absolute.TcpExtListenOverflows);
    expect(drops[0]).toMatchObject({ local: '10.77.0.2:50000', remote: expect.stringMatching(/^10\.77\.0\.1:\d+$/), len: 1 });
    const follow = tcplabRunning(['trace', '-f', '-n', '0'], env);
    started.push({ child: follow.child });
    // The next SYN retransmission arrives within a second or two.
    await follow.waitFor(/10\.77\.0\.2:50000 ⇄ 10\.77\.0\.1:\d+ {2}drop accept-queue-full seq \d+ len 1\n/, 5000);
    await stop(follow.child);

    await peer.stop();
    await stop(child);
  });

  it('with two running, a plain error lists them; --pid picks one', async () => {
    const a = await serve(7001);
    const b = await serve(7002);
    const both = await tcplab(['ss', '-l'], env);
    expect(both.code).toBe(1);
    const [low, high] = [a.child.pid!, b.child.pid!].sort((x, y) => x - y);
    expect(both.stderr).toBe(`tcplab: 2 tcplabs are running: serve (pid ${low}), serve (pid ${high}); pick one with --name NAME or --pid PID\n`);
    const picked = parseSs((await tcplab(['ss', '-l', '--pid', String(b.child.pid)], env)).stdout);
    expect(picked.map((r) => r.local)).toEqual(['10.77.0.2:7002']);
    expect((await tcplab(['nstat', '--pid', '1'], env)).stderr).toMatch(/^tcplab: no running tcplab has pid 1; running: serve \(pid \d+\), serve \(pid \d+\)\n$/);
    await stop(a.child);
    // One left: no argument needed; and it cleans up after itself on exit.
    expect(parseSs((await tcplab(['ss', '-l'], env)).stdout).map((r) => r.local)).toEqual(['10.77.0.2:7002']);
    await stop(b.child);
    const none = await tcplab(['trace'], env);
    expect(none.stderr).toBe(`tcplab: no tcplab is running (no control socket in ${join(runtime, 'tcplab')}): start one first, e.g. tcplab serve --port 8080\n`);
  });
});
