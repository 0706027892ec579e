// The Linux end of an experiment: src/lab/peer/kernel_peer.py run inside the scenario's
// namespace, driven one command at a time. Each call resolves with the peer's answer or
// rejects with an Error whose `code` is the errno the kernel gave (ECONNREFUSED,
// ECONNRESET, EPIPE, ETIMEDOUT...).
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Netns } from './netns.js';
import type { Peer, PeerSocket } from './peer-api.js';

export type { PeerSocket } from './peer-api.js';

export class KernelPeerError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** A script of src/lab/peer/ (the kernel peer, the kernel server): found from dist/ too. */
export function peerScript(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'src', 'lab', 'peer', name);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find src/lab/peer/${name} above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

type Reply = { id: number; ok: boolean; error?: string; message?: string } & Record<string, unknown>;

export class KernelPeer implements Peer {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }>();
  private nextId = 1;
  private exited = false;
  private readonly ready: Promise<void>;

  private constructor(ns: Netns) {
    this.child = ns.spawn(['python3', '-u', peerScript('kernel_peer.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const lines = createInterface({ input: this.child.stdout! });
    this.ready = new Promise((resolve, reject) => {
      lines.on('line', (line) => {
        let msg: Reply & { ready?: boolean };
        try {
          msg = JSON.parse(line) as Reply & { ready?: boolean };
        } catch {
          return;
        }
        if (msg.ready) {
          resolve();
          return;
        }
        const waiter = this.pending.get(msg.id);
        if (!waiter) return;
        this.pending.delete(msg.id);
        clearTimeout(waiter.timer);
        if (msg.ok) waiter.resolve(msg);
        else waiter.reject(new KernelPeerError(msg.error ?? 'EIO', `kernel peer: ${msg.message ?? msg.error}`));
      });
      this.child.once('exit', (code) => {
        this.exited = true;
        const err = new KernelPeerError('ERR_KERNEL_PEER', `kernel peer exited (${code}): ${stderr.trim()}`);
        reject(err);
        for (const waiter of this.pending.values()) {
          clearTimeout(waiter.timer);
          waiter.reject(err);
        }
        this.pending.clear();
      });
    });
    this.child.stdin?.on('error', () => undefined);
  }

  /** Start the peer in `ns` and wait until it is ready. */
  static async start(ns: Netns): Promise<KernelPeer> {
    const peer = new KernelPeer(ns);
    await peer.ready;
    return peer;
  }

  /** Send one command; `timeoutMs` bounds the wait for its answer (default 30 s). */
  call(op: string, args: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<Reply> {
    if (this.exited) return Promise.reject(new KernelPeerError('ERR_KERNEL_PEER', 'kernel peer has exited'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new KernelPeerError('ETIMEDOUT', `kernel peer: no answer to ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.child.stdin?.write(`${JSON.stringify({ id, op, ...args })}\n`);
    });
  }

  async listen(port: number, options: { host?: string; backlog?: number; reuseaddr?: boolean } = {}): Promise<PeerSocket> {
    const r = await this.call('listen', { port, ...options });
    return { sock: r.sock as number };
  }

  async accept(listener: PeerSocket, timeoutSeconds?: number): Promise<PeerSocket & { peer: [string, number] }> {
    const r = await this.call('accept', { sock: listener.sock, timeout: timeoutSeconds }, (timeoutSeconds ?? 30) * 1000 + 5000);
    return { sock: r.sock as number, peer: r.peer as [string, number] };
  }

  /** connect(); with `nonblocking` it returns as soon as the SYN is on its way. */
  async connect(host: string, port: number, options: { timeoutSeconds?: number; nonblocking?: boolean; bind?: [string, number] } = {}): Promise<PeerSocket & { local: [string, number] }> {
    const wait = options.nonblocking ? 10_000 : (options.timeoutSeconds ?? 150) * 1000 + 5000;
    const r = await this.call('connect', { host, port, timeout: options.timeoutSeconds, nonblocking: options.nonblocking, bind: options.bind }, wait);
    return { sock: r.sock as number, local: r.local as [string, number] };
  }

  async waitConnected(s: PeerSocket, timeoutSeconds = 5): Promise<void> {
    await this.call('wait_connected', { sock: s.sock, timeout: timeoutSeconds }, timeoutSeconds * 1000 + 5000);
  }

  async send(s: PeerSocket, data: string | Uint8Array): Promise<number> {
    const args = typeof data === 'string' ? { text: data } : { data: Buffer.from(data).toString('base64') };
    return (await this.call('send', { sock: s.sock, ...args })).sent as number;
  }

  /** Send `bytes` bytes of a deterministic pattern (from pattern offset `start`); resolves with
   *  their sha256. */
  async sendPattern(s: PeerSocket, bytes: number, options: { start?: number; timeoutMs?: number } = {}): Promise<string> {
    return (await this.call('send_pattern', { sock: s.sock, bytes, start: options.start ?? 0 }, options.timeoutMs ?? 120_000)).sha256 as string;
  }

  async recv(s: PeerSocket, max = 65536, timeoutSeconds?: number): Promise<{ data: Buffer; eof: boolean }> {
    const r = await this.call('recv', { sock: s.sock, max, timeout: timeoutSeconds }, (timeoutSeconds ?? 30) * 1000 + 5000);
    return { data: Buffer.from(r.data as string, 'base64'), eof: r.eof as boolean };
  }

  /** Read to EOF (or `bytes`); resolves with the count and sha256. */
  async recvAll(s: PeerSocket, options: { bytes?: number; timeoutSeconds?: number } = {}): Promise<{ received: number; sha256: string }> {
    const r = await this.call('recv_all', { sock: s.sock, bytes: options.bytes, timeout: options.timeoutSeconds }, (options.timeoutSeconds ?? 120) * 1000 + 5000);
    return { received: r.received as number, sha256: r.sha256 as string };
  }

  /** SO_ERROR: what the kernel recorded on the socket (ECONNRESET after a RST), or undefined. */
  async socketError(s: PeerSocket): Promise<string | undefined> {
    return ((await this.call('sockerr', { sock: s.sock })).error_code as string | null) ?? undefined;
  }

  async shutdown(s: PeerSocket, how: 'rd' | 'wr' | 'rdwr' = 'wr'): Promise<void> {
    await this.call('shutdown', { sock: s.sock, how });
  }

  /** close(); with `linger0`, an abortive close that sends RST. */
  async close(s: PeerSocket, options: { linger0?: boolean } = {}): Promise<void> {
    await this.call('close', { sock: s.sock, linger0: options.linger0 });
  }

  /** Close every socket and end the process. */
  async stop(): Promise<void> {
    if (this.exited) return;
    try {
      await this.call('quit', {}, 5000);
    } catch {
      // it is exiting anyway
    }
    if (!this.exited && this.child.pid !== undefined) {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}
