// Watches the kernel's sockets with `ss -tan -o` inside the namespace (SsStream: about every
// 15 ms),
// and records every state each socket was seen in: how a scenario knows what the Linux end
// went through. (A state that lasts less than one poll can be missed; scenarios that need a
// short one hold it open with a delayed or dropped segment.)
import { parseSs, type KernelSocketRow } from './kernel-ss.js';
import { Netns } from './netns.js';
import type { PeerSocketRows } from './peer-api.js';
import { SsStream } from './ss-stream.js';

/** The kernel's sockets: `ss -tan -o` in the namespace. */
export function ssRows(ns: Netns): PeerSocketRows {
  return async () => {
    const result = await ns.exec(['ss', '-tan', '-o']).catch(() => undefined);
    return result && result.code === 0 ? parseSs(result.stdout) : undefined;
  };
}

export interface KernelStateChange {
  /** Milliseconds since the watch started. */
  readonly at: number;
  readonly local: string;
  readonly peer: string;
  readonly from: string | undefined;
  readonly to: string;
  readonly row: KernelSocketRow;
}

export class KernelWatch {
  readonly changes: KernelStateChange[] = [];
  private readonly current = new Map<string, string>();
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly started = performance.now();
  private lastRows: KernelSocketRow[] = [];

  /** A source polled on a timer (another stack's table), or the kernel's ss stream. */
  private readonly rowsNow: PeerSocketRows | undefined;
  private readonly ns: Netns | undefined;
  private stream: SsStream | undefined;

  constructor(
    /** The namespace whose kernel sockets to watch, or any other source of ss-style rows. */
    source: Netns | PeerSocketRows,
    /** Only sockets with one of these ports at either end. */
    private readonly ports: readonly number[],
    private readonly onChange?: (change: KernelStateChange) => void,
    private readonly intervalMs = 15,
  ) {
    if (source instanceof Netns) this.ns = source;
    else this.rowsNow = source;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.ns) {
      this.stream = new SsStream(this.ns, (all) => this.ingest(all), this.intervalMs);
      return;
    }
    this.loop = (async () => {
      while (this.running) {
        await this.poll();
        await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
      }
    })();
  }

  /** Take one more look now (a scenario calls this before judging). */
  async poll(): Promise<KernelSocketRow[]> {
    if (this.ns) {
      // The next snapshot of the stream (taken after this call), or one ss run when stopped.
      if (this.stream) await this.stream.next();
      else this.ingest((await ssRows(this.ns)()) ?? []);
      return this.lastRows;
    }
    const all = await this.rowsNow!();
    if (all) this.ingest(all);
    return this.lastRows;
  }

  private ingest(all: readonly KernelSocketRow[]): void {
    const rows = all.filter((r) => this.ports.some((p) => r.local.endsWith(`:${p}`) || r.peer.endsWith(`:${p}`)));
    this.lastRows = rows;
    const at = performance.now() - this.started;
    // A socket ss no longer lists is gone: the kernel destroyed it, its CLOSED.
    const present = new Set(rows.map((r) => `${r.local} ${r.peer}`));
    for (const [key, before] of [...this.current]) {
      if (present.has(key) || before === 'CLOSED') continue;
      this.current.set(key, 'CLOSED');
      const [local, peer] = key.split(' ');
      const row: KernelSocketRow = { state: 'CLOSED', recvQ: 0, sendQ: 0, local, peer, timer: undefined };
      const change = { at, local, peer, from: before, to: 'CLOSED', row };
      this.changes.push(change);
      this.onChange?.(change);
    }
    for (const row of rows) {
      const key = `${row.local} ${row.peer}`;
      const before = this.current.get(key);
      if (before !== row.state) {
        this.current.set(key, row.state);
        const change = { at, local: row.local, peer: row.peer, from: before, to: row.state, row };
        this.changes.push(change);
        this.onChange?.(change);
      }
    }
  }

  /** The sockets as last seen. */
  get rows(): KernelSocketRow[] {
    return this.lastRows;
  }

  /** Every state any watched socket was seen in. */
  statesSeen(): Set<string> {
    return new Set(this.changes.map((c) => c.to));
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stream?.stop();
    this.stream = undefined;
    await this.loop;
  }
}
