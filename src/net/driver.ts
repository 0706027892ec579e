// Runs a sans-IO stack over a link on a clock: every received batch goes into the
// stack, every packet the stack produced goes out in one batch, and ONE timer is armed
// for the stack's earliest deadline.
import type { Link, PacketBatch } from '../link/link.js';
import type { Clock } from './clock.js';

/** What the driver needs of a stack (src/stack's Stack satisfies it). */
export interface DrivenStack {
  input(packet: Uint8Array, now: number): void;
  takeOutput(): Uint8Array[];
  nextDeadline(): number | undefined;
  poll(now: number): void;
}

export class StackDriver {
  private closed = false;

  constructor(
    private readonly stack: DrivenStack,
    private readonly link: Link,
    private readonly clock: Clock,
  ) {
    link.onReceive((batch) => this.onBatch(batch));
    this.flush();
  }

  private onBatch(batch: PacketBatch): void {
    if (this.closed) return;
    const now = this.clock.now();
    for (let i = 0; i < batch.count; i++) this.stack.input(batch.packet(i), now);
    this.flush();
  }

  private onDeadline(): void {
    if (this.closed) return;
    this.stack.poll(this.clock.now());
    this.flush();
  }

  /** Send what the stack produced and re-arm the timer; call after driving the stack by hand. */
  flush(): void {
    const out = this.stack.takeOutput();
    if (out.length > 0) this.link.send(out);
    const deadline = this.stack.nextDeadline();
    if (deadline === undefined) this.clock.disarm();
    else this.clock.arm(deadline, () => this.onDeadline());
  }

  close(): void {
    this.closed = true;
    this.clock.disarm();
  }
}
