// `ss -tan -o` in a namespace, many times a second, without forking tcplab's own (large) Node
// process each time: one small shell loop in the namespace runs ss and prints a marker after
// each snapshot; tcplab reads the stream. The loop dies with tcplab (Netns.spawn).
import type { ChildProcess } from 'node:child_process';
import { parseSs, type KernelSocketRow } from './kernel-ss.js';
import type { Netns } from './netns.js';

const MARKER = '@@tcplab-ss@@';

export class SsStream {
  private readonly child: ChildProcess;
  private buffered = '';
  private waiters: ((rows: KernelSocketRow[] | undefined) => void)[] = [];
  private closed = false;

  constructor(
    ns: Netns,
    private readonly onSnapshot: (rows: KernelSocketRow[]) => void,
    intervalMs = 15,
  ) {
    const pause = (intervalMs / 1000).toFixed(3);
    this.child = ns.spawn(['sh', '-c', `while :; do ss -tan -o; echo ${MARKER}; sleep ${pause}; done`], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.take(chunk));
    this.child.once('exit', () => this.close());
  }

  /** The next complete snapshot (undefined once the stream has ended). */
  next(): Promise<KernelSocketRow[] | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stop(): void {
    if (this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.close();
  }

  private take(chunk: string): void {
    this.buffered += chunk;
    let at: number;
    while ((at = this.buffered.indexOf(`${MARKER}\n`)) >= 0) {
      const text = this.buffered.slice(0, at);
      this.buffered = this.buffered.slice(at + MARKER.length + 1);
      // ss prints its header even with no sockets: without it the run failed, and an empty
      // table would make every socket look closed.
      if (!/^State\s/m.test(text)) continue;
      const rows = parseSs(text);
      this.onSnapshot(rows);
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w(rows);
    }
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiters) w(undefined);
    this.waiters = [];
  }
}
