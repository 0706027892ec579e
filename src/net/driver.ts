// Runs a sans-IO stack over a link on a clock: every received batch goes into the
// stack, every packet the stack produced goes out in one batch, and ONE timer is armed
// for the stack's earliest deadline.
import type { Link, PacketBatch } from '../link/link.js';
import type { Clock, ClockTimer } from './clock.js';

/** What the driver needs of a stack (src/stack's Stack satisfies it). */
export interface DrivenStack {
  /** `checksumTrusted`: the device vouched for the transport checksum (PacketBatch.checksumTrusted). */
  input(packet: Uint8Array, now: number, checksumTrusted?: boolean): void;
  takeOutput(): Uint8Array[];
  nextDeadline(): number | undefined;
  poll(now: number): void;
}

export class StackDriver {
  private closed = false;
  private readonly afterTurn: (() => void)[] = [];
  private readonly timer: ClockTimer;
  /** The deadline the timer is armed for. */
  private armedAt: number | undefined;
  private readonly fire = (): void => {
    this.armedAt = undefined;
    this.onDeadline();
  };

  constructor(
    private readonly stack: DrivenStack,
    private readonly link: Link,
    private readonly clock: Clock,
  ) {
    this.timer = clock.timer();
    link.onReceive((batch) => this.onBatch(batch));
    this.flush();
  }

  /** Run `hook` after every turn (a batch received, a timer fired, a flush): the API layer
   *  tells its sockets what changed. */
  onAfterTurn(hook: () => void): void {
    this.afterTurn.push(hook);
  }

  private onBatch(batch: PacketBatch): void {
    if (this.closed) return;
    const now = this.clock.now();
    if (batch.checksumTrusted) {
      for (let i = 0; i < batch.count; i++) this.stack.input(batch.packet(i), now, batch.checksumTrusted(i));
    } else {
      for (let i = 0; i < batch.count; i++) this.stack.input(batch.packet(i), now);
    }
    this.flush();
  }

  private onDeadline(): void {
    if (this.closed) return;
    this.stack.poll(this.clock.now());
    this.flush();
  }

  /** Send what the stack produced and re-arm the timer; call after driving the stack by hand. */
  flush(): void {
    if (this.closed) return;
    const out = this.stack.takeOutput();
    if (out.length > 0) this.link.send(out);
    for (const hook of this.afterTurn) hook();
    const deadline = this.stack.nextDeadline();
    if (deadline === undefined) {
      if (this.armedAt !== undefined) this.timer.disarm();
      this.armedAt = undefined;
    } else if (this.armedAt === undefined || deadline < this.armedAt) {
      this.timer.arm(deadline, this.fire);
      this.armedAt = deadline;
    }
    // A later deadline keeps the earlier arming: firing early costs one poll that finds nothing
    // due (and arms again); arming on every turn cost a setTimeout per received batch.
  }

  now(): number {
    return this.clock.now();
  }

  close(): void {
    this.closed = true;
    this.timer.disarm();
    this.armedAt = undefined;
  }
}
