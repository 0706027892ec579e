// Two links joined back to back in one process: what one side sends, the other
// receives. The fallback where no TUN device is available, and the fast path for tests.
//
// Delivery is never synchronous (a send must not re-enter the sender's own receive
// path): with `delivery: 'immediate'` (the default) packets are delivered in one batch
// per side on the next turn of the event loop; with 'manual', nothing moves until
// `pump()`, which is what virtual-time tests want.
import type { Link, PacketBatch } from './link.js';

export interface MemoryLinkOptions {
  mtu?: number;
  delivery?: 'immediate' | 'manual';
  /** Most packets waiting on one side before further ones are dropped (a device queue). */
  queueLimit?: number;
}

class ArrayBatch implements PacketBatch {
  constructor(private readonly packets: readonly Uint8Array[]) {}
  get count(): number {
    return this.packets.length;
  }
  packet(index: number): Uint8Array {
    return this.packets[index];
  }
}

/** Counters of one end. */
export interface MemoryLinkStats {
  sent: number;
  received: number;
  /** Dropped because the peer's queue was full, or the peer closed. */
  dropped: number;
  /** Larger than the MTU: dropped, as a device would. */
  oversized: number;
}

export class MemoryLink implements Link {
  readonly mtu: number;
  readonly stats: MemoryLinkStats = { sent: 0, received: 0, dropped: 0, oversized: 0 };
  private peer: MemoryLink | undefined;
  private handler: ((batch: PacketBatch) => void) | undefined;
  private queue: Uint8Array[] = [];
  private scheduled = false;
  private closed = false;
  private readonly delivery: 'immediate' | 'manual';
  private readonly queueLimit: number;

  private constructor(options: MemoryLinkOptions) {
    this.mtu = options.mtu ?? 1500;
    this.delivery = options.delivery ?? 'immediate';
    this.queueLimit = options.queueLimit ?? 5000;
  }

  /** Two joined ends. */
  static pair(options: MemoryLinkOptions = {}): [MemoryLink, MemoryLink] {
    const a = new MemoryLink(options);
    const b = new MemoryLink(options);
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  send(packets: readonly Uint8Array[]): void {
    const peer = this.peer;
    for (const packet of packets) {
      if (packet.length > this.mtu) {
        this.stats.oversized++;
        continue;
      }
      if (this.closed || !peer || peer.closed || peer.queue.length >= peer.queueLimit) {
        this.stats.dropped++;
        continue;
      }
      // Copy: the sender may reuse its buffer as soon as send() returns.
      peer.queue.push(packet.slice());
      this.stats.sent++;
    }
    peer?.schedule();
  }

  onReceive(handler: (batch: PacketBatch) => void): void {
    this.handler = handler;
    this.schedule();
  }

  /** Deliver everything waiting, on both ends, until nothing moves. Returns packets delivered. */
  pump(maxRounds = 1_000_000): number {
    let delivered = 0;
    for (let round = 0; round < maxRounds; round++) {
      const moved = this.deliver() + (this.peer?.deliver() ?? 0);
      if (moved === 0) return delivered;
      delivered += moved;
    }
    throw new Error(`MemoryLink.pump: still moving after ${maxRounds} rounds`);
  }

  /** Packets waiting to be delivered to this end. */
  get pending(): number {
    return this.queue.length;
  }

  close(): void {
    this.closed = true;
    this.queue = [];
    this.handler = undefined;
  }

  private schedule(): void {
    if (this.delivery !== 'immediate' || this.scheduled || this.queue.length === 0 || !this.handler) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.deliver();
    });
  }

  private deliver(): number {
    if (!this.handler || this.queue.length === 0) return 0;
    const batch = this.queue;
    this.queue = [];
    this.stats.received += batch.length;
    this.handler(new ArrayBatch(batch));
    return batch.length;
  }
}
