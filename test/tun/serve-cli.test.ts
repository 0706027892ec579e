// `tcplab serve` as a user runs it: it prints where it listens and how to reach it, a kernel
// client in its namespace is served, and SIGTERM removes the namespace it made. Then seed
// 001 by hand: backlog 1, never accepting, three Python clients.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { parseSs } from '../../src/lab/kernel-ss.js';
import { describeTun } from './harness.js';

const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/src/cli/main.js');

function startServe(args: string[]): { child: ChildProcess; output: () => string; ready: Promise<string> } {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 15_000);
    const check = (): void => {
      const ns = /network namespace (\S+);/.exec(out);
      if (out.includes('Ctrl-C to stop.') && ns) {
        clearTimeout(timer);
        resolve(ns[1]);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', () => reject(new Error(`serve exited: ${out}`)));
  });
  return { child, output: () => out, ready };
}

function exec(ns: string, argv: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', timeout: 30_000 });
}

describeTun('tcplab serve', () => {
  let child: ChildProcess | undefined;
  let childNs: string | undefined;
  afterEach(() => {
    // A test that failed before stopping the server: kill it, and remove the namespace it made.
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      if (childNs) execFileSync('ip', ['netns', 'del', childNs], { stdio: 'ignore' });
    }
    child = undefined;
    childNs = undefined;
  });

  it('serves http, prints how to reach it, and cleans up on SIGTERM', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
    const s = startServe(['--port', '8080', '--app', 'http']);
    child = s.child;
    const ns = await s.ready;
    childNs = ns;
    expect(s.output()).toContain('listening on 10.77.0.2:8080');
    expect(s.output()).toContain(`ip netns exec ${ns} curl http://10.77.0.2:8080/`);
    expect(exec(ns, ['curl', '-s', '--max-time', '10', 'http://10.77.0.2:8080/x'])).toBe('hello from tcplab: GET /x\n');
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(ns);
  });

  it('seed 001 by hand: backlog 1 and no accept: two clients connect, the third SYN is retransmitted', async () => {
    const s = startServe(['--port', '50000', '--backlog', '1', '--no-accept']);
    child = s.child;
    const ns = await s.ready;
    childNs = ns;
    // The seed's client, three times, each left open (non-blocking connect, then wait).
    const client = `
import socket, time, sys
socks = []
for i in range(3):
    c = socket.socket(); c.setblocking(False)
    c.connect_ex(("10.77.0.2", 50000)); socks.append(c); time.sleep(0.2)
time.sleep(3.5)
`;
    const py = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', client]);
    const exitedPy = new Promise((r) => py.once('exit', r));
    await new Promise((r) => setTimeout(r, 1500));
    const rows = () => parseSs(exec(ns, ['ss', '-tan', '-o', 'dport = :50000']));
    await expect.poll(() => rows().map((r) => r.state).sort(), { timeout: 2000, interval: 50 }).toEqual(['ESTAB', 'ESTAB', 'SYN-SENT']);
    // The third SYN is being retransmitted: its retransmission timer runs.
    await expect.poll(() => rows().find((r) => r.state === 'SYN-SENT')?.timer?.name, { timeout: 2000, interval: 50 }).toBe('on');
    await exitedPy;
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
  });
});
