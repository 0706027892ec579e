// The control channel in one process: a stack in virtual time (seed 001's backlog experiment)
// answers ss, nstat and trace over a real unix socket in a private runtime directory; the client
// finds it, and says plainly when none or several are running. Stale sockets are cleaned up.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlClientError, controlRequest, pickRunning } from '../../../src/inspect/control-client.js';
import type { NstatAnswer, SsAnswer, TraceAnswer } from '../../../src/inspect/control-protocol.js';
import { parseRequest } from '../../../src/inspect/control-protocol.js';
import { ControlServer } from '../../../src/inspect/control-server.js';
import { ensureRuntimeDir, listRunning } from '../../../src/inspect/runtime-dir.js';
import type { TraceRecord } from '../../../src/inspect/trace-format.js';
import { twoHosts, type TwoHosts } from '../stack/two-hosts.js';

let dir: string;
let h: TwoHosts;
const servers: ControlServer[] = [];

async function start(name: string, host: 'a' | 'b' = 'b'): Promise<ControlServer> {
  const server = await ControlServer.start({ name, stack: h[host], now: () => h.now, dir });
  servers.push(server);
  return server;
}

/** Seed 001 in virtual time: backlog 1, never accepting, three clients one after another. */
function backlogExperiment(): void {
  h.b.listen({ port: 50000, backlog: 1 });
  for (let i = 0; i < 3; i++) {
    h.a.connect({ host: '10.0.0.2', port: 50000 }, h.now);
    h.run(h.now + 10);
  }
  h.run(1500);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tcplab-control-'));
  h = twoHosts();
});

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the control channel', () => {
  it('answers ss with the socket table: LISTEN shows the accept queue over the backlog', async () => {
    backlogExperiment();
    const server = await start('serve');
    const target = pickRunning({}, dir);
    expect(target).toEqual({ name: 'serve', pid: process.pid, path: server.path });
    const ss = await controlRequest<SsAnswer>(target, { op: 'ss' });
    const listen = ss.sockets.find((s) => s.state === 'LISTEN');
    expect(listen).toMatchObject({ recvQ: 2, sendQ: 1, local: { port: 50000 }, family: 4 });
    expect(listen?.local.address).toBeUndefined(); // every address: 0.0.0.0 in ss
    expect(ss.sockets.filter((s) => s.state === 'ESTAB' && s.owner === 'accept-queue')).toHaveLength(2);
  });

  it('answers nstat with increments since the last read, remembered between requests', async () => {
    backlogExperiment();
    await start('serve');
    const target = pickRunning({}, dir);
    const first = Object.fromEntries((await controlRequest<NstatAnswer>(target, { op: 'nstat' })).counters);
    expect(first).toMatchObject({ TcpPassiveOpens: 2, TcpExtListenOverflows: 2, TcpExtListenDrops: 2 });
    expect((await controlRequest<NstatAnswer>(target, { op: 'nstat' })).counters).toEqual([]);
    h.run(2500); // one more SYN retransmission, dropped
    expect((await controlRequest<NstatAnswer>(target, { op: 'nstat', options: { patterns: ['TcpExtListen*'] } })).counters).toEqual([
      ['TcpExtListenOverflows', 1],
      ['TcpExtListenDrops', 1],
    ]);
    const absolute = await controlRequest<NstatAnswer>(target, { op: 'nstat', options: { absolute: true, zeros: true, patterns: ['TcpExtTCPReqQFullDrop'] } });
    expect(absolute.counters).toEqual([['TcpExtTCPReqQFullDrop', 0]]);
  });

  it('answers trace with the recent events as trace lines, and follows new ones', async () => {
    backlogExperiment();
    await start('serve');
    const target = pickRunning({}, dir);
    const lines: TraceRecord[] = [];
    const answer = await controlRequest<TraceAnswer>(target, { op: 'trace' }, { onLine: (r) => lines.push(r as TraceRecord) });
    expect(answer.total).toBe(lines.length);
    expect(lines.filter((l) => l.type === 'state').map((l) => `${l.local} ${l.remote} ${l.type === 'state' ? `${l.from}>${l.to}` : ''}`)).toEqual([
      expect.stringMatching(/^10\.0\.0\.2:50000 10\.0\.0\.1:\d+ LISTEN>SYN-RECEIVED$/),
      expect.stringMatching(/SYN-RECEIVED>ESTABLISHED$/),
      expect.stringMatching(/LISTEN>SYN-RECEIVED$/),
      expect.stringMatching(/SYN-RECEIVED>ESTABLISHED$/),
    ]);
    const dropped = lines.filter((l) => l.type === 'drop');
    expect(dropped).toHaveLength(2);
    expect(dropped[0]).toMatchObject({ type: 'drop', reason: 'accept-queue-full', local: '10.0.0.2:50000', len: 1 });
    // The last two only.
    const last: TraceRecord[] = [];
    await controlRequest(target, { op: 'trace', limit: 2 }, { onLine: (r) => last.push(r as TraceRecord) });
    expect(last).toEqual(lines.slice(-2));

    // Following: the next SYN retransmission's drop arrives as it happens.
    const followed: TraceRecord[] = [];
    const abort = new AbortController();
    const following = controlRequest(target, { op: 'trace', follow: true, limit: 0 }, { signal: abort.signal, onLine: (r) => followed.push(r as TraceRecord) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    h.run(2500);
    await expect.poll(() => followed.length).toBeGreaterThan(0);
    abort.abort();
    await following;
    expect(followed[0]).toMatchObject({ type: 'drop', reason: 'accept-queue-full', at: 2020 });
  });

  it('with several running, says which and how to pick; --name and --pid pick', async () => {
    await start('serve');
    await start('tour', 'a');
    expect(() => pickRunning({}, dir)).toThrow(ControlClientError);
    expect(() => pickRunning({}, dir)).toThrow(`2 tcplabs are running: serve (pid ${process.pid}), tour (pid ${process.pid}); pick one with --name NAME or --pid PID`);
    expect(pickRunning({ name: 'tour' }, dir).name).toBe('tour');
    expect(() => pickRunning({ pid: 1 }, dir)).toThrow(/no running tcplab has pid 1; running: serve \(pid \d+\), tour/);
    expect(() => pickRunning({ name: 'connect' }, dir)).toThrow(/no running tcplab has name connect/);
  });

  it('with none running, says so and how to start one', () => {
    expect(() => pickRunning({}, dir)).toThrow(`no tcplab is running (no control socket in ${dir}): start one first, e.g. tcplab serve --port 8080`);
  });

  it('removes the sockets of processes that are gone, and its own on close', async () => {
    // A pid that is not running: one beyond the kernel's pid_max is never a process.
    writeFileSync(join(dir, 'serve-4194305.sock'), '');
    const server = await start('scenario');
    expect(listRunning(dir).map((r) => r.name)).toEqual(['scenario']);
    expect(() => statSync(join(dir, 'serve-4194305.sock'))).toThrow();
    await server.close();
    expect(listRunning(dir)).toEqual([]);
  });

  it('refuses malformed requests with a reason, over the socket too', async () => {
    expect(parseRequest('ss')).toMatchObject({ ok: false, error: expect.stringContaining('one line of JSON') });
    expect(parseRequest('{"op":"kill"}')).toMatchObject({ ok: false, error: 'unknown op "kill": one of hello, ss, nstat, trace' });
    expect(parseRequest('{"op":"nstat","options":{"patterns":[1]}}')).toMatchObject({ ok: false });
    expect(parseRequest('{"op":"trace","limit":-1}')).toMatchObject({ ok: false });
    await start('serve');
    await expect(controlRequest(pickRunning({}, dir), { op: 'bogus' } as never)).rejects.toThrow('unknown op "bogus"');
  });

  it('keeps its directory private (0700)', () => {
    const open = join(dir, 'open');
    mkdirSync(open, { mode: 0o755 });
    ensureRuntimeDir(open);
    expect(statSync(open).mode & 0o777).toBe(0o700);
  });
});
