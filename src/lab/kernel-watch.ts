// Watches the kernel's sockets with `ss -tan -o` inside the namespace, many times a second,
// and records every state each socket was seen in: how a scenario knows what the Linux end
// went through. (A state that lasts less than one poll can be missed; scenarios that need a
// short one hold it open with a delayed or dropped segment.)
import { parseSs, type KernelSocketRow } from './kernel-ss.js';
import { Netns } from './netns.js';
import type { PeerSocketRows } from './peer-api.js';

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

  private readonly rowsNow: PeerSocketRows;

  constructor(
    /** The namespace whose kernel sockets to watch, or any other source of ss-style rows. */
    source: Netns | PeerSocketRows,
    /** Only sockets with one of these ports at either end. */
    private readonly ports: readonly number[],
    private readonly onChange?: (change: KernelStateChange) => void,
    private readonly intervalMs = 15,
  ) {
    this.rowsNow = source instanceof Netns ? ssRows(source) : source;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.poll();
        await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
      }
    })();
  }

  /** Take one more look now (a scenario calls this before judging). */
  async poll(): Promise<KernelSocketRow[]> {
    const all = await this.rowsNow();
    if (!all) return this.lastRows;
    const rows = all.filter((r) => this.ports.some((p) => r.local.endsWith(`:${p}`) || r.peer.endsWith(`:${p}`)));
    this.lastRows = rows;
    const at = performance.now() - this.started;
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
    return rows;
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
    await this.loop;
  }
}
