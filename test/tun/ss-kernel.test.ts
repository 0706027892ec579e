// `tcplab ss` beside the kernel's `ss -tan`, for the same connections in a private namespace.
// The experiment is built twice, mirrored: once with tcplab listening and kernel clients, once
// with the kernel listening and tcplab clients. On each side: a listener with backlog 2 that
// never accepts and three clients waiting in its accept queue, the first of which then closes
// (CLOSE-WAIT, FIN unread: Recv-Q 1), and one connection that ends in TIME-WAIT. Both tables must
// list the same rows (state, Recv-Q, Send-Q), and each tcplab connection's kernel end must be in
// the state TCP says it is in.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ControlServer } from '../../src/inspect/control-server.js';
import { KernelPeer } from '../../src/lab/kernel-peer.js';
import { parseSs, type KernelSocketRow } from '../../src/lab/kernel-ss.js';
import { openLabHost, type LabHost } from '../../src/lab/lab-host.js';
import type { Socket } from '../../src/net/socket.js';
import { describeTun } from './harness.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/src/cli/main.js');

describeTun('tcplab ss and the kernel ss -tan', (getNs) => {
  let host: LabHost;
  let peer: KernelPeer;
  let control: ControlServer;
  let runtime: string;

  beforeAll(async () => {
    host = openLabHost({ netns: getNs().name });
    peer = await KernelPeer.start(getNs());
    runtime = mkdtempSync(join(tmpdir(), 'tcplab-ss-'));
    control = await ControlServer.start({ name: 'test', stack: host.net.stack, now: () => host.net.now(), dir: join(runtime, 'tcplab') });
  });
  afterAll(async () => {
    await control?.close();
    await peer?.stop();
    host?.close();
    rmSync(runtime, { recursive: true, force: true });
  });

  const connected = (socket: Socket): Promise<Socket> => new Promise((resolve, reject) => socket.once('connect', () => resolve(socket)).once('error', reject));

  /** `tcplab ss` as a user runs it, from another process, through the control channel. */
  async function tcplabSs(): Promise<string> {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
    const { stdout } = await run(process.execPath, [CLI, 'ss', '-tan', '--pid', String(process.pid)], { env: { ...process.env, XDG_RUNTIME_DIR: runtime }, timeout: 20_000 });
    return stdout;
  }

  const kernelSs = async (): Promise<string> => getNs().run(['ss', '-tan']);
  const summary = (rows: readonly KernelSocketRow[]): string[] => rows.map((r) => `${r.state} ${r.recvQ} ${r.sendQ}`).sort();

  it('agree on state names, on LISTEN with connections waiting in the accept queue, and on CLOSE-WAIT with its FIN unread', async () => {
    const { net } = host;
    // tcplab listens, backlog 2, never accepting; three kernel clients.
    const server = net.createServer({ pauseAccepting: true });
    await new Promise<void>((resolve) => server.listen({ port: 50000, host: host.address, backlog: 2 }, resolve));
    const kernelClients = [];
    for (let i = 0; i < 3; i++) kernelClients.push(await peer.connect(host.address, 50000));
    // The kernel listens, backlog 2, never accepting; three tcplab clients.
    await peer.listen(60000, { host: host.peerAddress, backlog: 2 });
    const tcplabClients: Socket[] = [];
    for (let i = 0; i < 3; i++) tcplabClients.push(await connected(net.connect({ host: host.peerAddress, port: 60000 })));
    // The first client on each side closes: its unaccepted server end goes to CLOSE-WAIT.
    await peer.close(kernelClients[0]);
    tcplabClients[0].end();

    // TIME-WAIT on each side: the end that closes first keeps it.
    const echo = net.createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => echo.listen({ port: 50001, host: host.address }, resolve));
    const k = await peer.connect(host.address, 50001);
    await peer.close(k); // the kernel closes first; tcplab's server closes in turn (no half-open)
    const kernelListener = await peer.listen(60001, { host: host.peerAddress });
    const t = await connected(net.connect({ host: host.peerAddress, port: 60001 }));
    const accepted = await peer.accept(kernelListener);
    t.end(); // tcplab closes first
    expect((await peer.recv(accepted, 10)).eof).toBe(true);
    await peer.close(accepted);

    const settled = ['CLOSE-WAIT 1 0', 'ESTAB 0 0', 'ESTAB 0 0', 'ESTAB 0 0', 'ESTAB 0 0', 'FIN-WAIT-2 0 0', 'LISTEN 0 128', 'LISTEN 0 511', 'LISTEN 3 2', 'TIME-WAIT 0 0'];
    await expect.poll(async () => summary(parseSs(await tcplabSs())), { timeout: 5000, interval: 100 }).toEqual(settled.filter((r) => r !== 'LISTEN 0 128'));
    await expect.poll(async () => summary(parseSs(await kernelSs())), { timeout: 5000, interval: 100 }).toEqual(settled.filter((r) => r !== 'LISTEN 0 511'));
    // The same table on both sides, but for the second listener's backlog: Node's 511 on
    // tcplab's, Python's 128 on the kernel's.

    const ours = parseSs(await tcplabSs());
    const theirs = parseSs(await kernelSs());
    // LISTEN: Recv-Q = connections waiting to be accepted, Send-Q = the backlog, on both.
    expect(ours.find((r) => r.local === `${host.address}:50000`)).toMatchObject({ state: 'LISTEN', recvQ: 3, sendQ: 2, peer: '0.0.0.0:*' });
    expect(theirs.find((r) => r.local === `${host.peerAddress}:60000`)).toMatchObject({ state: 'LISTEN', recvQ: 3, sendQ: 2, peer: '0.0.0.0:*' });
    // Each connection's two ends, as TCP pairs them.
    const pairs = ours
      .filter((r) => r.state !== 'LISTEN')
      .map((r) => `${r.state}/${theirs.find((k) => k.local === r.peer && k.peer === r.local)?.state ?? 'gone'}`)
      .sort();
    expect(pairs).toEqual(['CLOSE-WAIT/FIN-WAIT-2', 'ESTAB/ESTAB', 'ESTAB/ESTAB', 'ESTAB/ESTAB', 'ESTAB/ESTAB', 'FIN-WAIT-2/CLOSE-WAIT', 'TIME-WAIT/gone']);
    const kernelTimeWait = theirs.find((r) => r.state === 'TIME-WAIT');
    expect(kernelTimeWait?.peer).toBe(`${host.address}:50001`);
    expect(ours.find((r) => r.state === 'CLOSE-WAIT')?.recvQ).toBe(1);
    expect(theirs.find((r) => r.state === 'CLOSE-WAIT')?.recvQ).toBe(1);

    for (const s of tcplabClients) s.destroy();
    server.close();
    echo.close();
  });
});
