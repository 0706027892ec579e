// StackDriver keeps ONE timer for the stack's earliest deadline. It arms it again only when the
// deadline comes earlier: a later one keeps the arming (an early fire polls, finds nothing due,
// and arms for the real deadline), since arming on every received batch cost a setTimeout each.
import { describe, expect, it } from 'vitest';
import type { Link, PacketBatch } from '../../../src/link/link.js';
import { VirtualClock } from '../../../src/net/clock.js';
import { StackDriver, type DrivenStack } from '../../../src/net/driver.js';

/** A stack whose next deadline the test sets, recording its polls. */
class FakeStack implements DrivenStack {
  deadline: number | undefined;
  readonly polls: number[] = [];
  input(): void {}
  takeOutput(): Uint8Array[] {
    return [];
  }
  nextDeadline(): number | undefined {
    return this.deadline;
  }
  poll(now: number): void {
    this.polls.push(now);
    if (this.deadline !== undefined && this.deadline <= now) this.deadline = undefined;
  }
}

function idleLink(): Link & { deliver(): void } {
  let handler: ((batch: PacketBatch) => void) | undefined;
  return {
    mtu: 1500,
    send: () => undefined,
    onReceive: (h) => (handler = h),
    close: () => undefined,
    deliver: () => handler?.({ count: 0, packet: () => new Uint8Array(0) }),
  };
}

describe('StackDriver timer', () => {
  it('fires at the earliest deadline, keeps an earlier arming for a later deadline, and re-arms for an earlier one', () => {
    const clock = new VirtualClock();
    const stack = new FakeStack();
    const link = idleLink();
    const driver = new StackDriver(stack, link, clock);
    expect(clock.nextDeadline).toBeUndefined();

    stack.deadline = 100;
    driver.flush();
    expect(clock.nextDeadline).toBe(100);

    // The deadline moves later (an ACK cancelled a retransmission): the timer stays at 100.
    stack.deadline = 300;
    link.deliver();
    expect(clock.nextDeadline).toBe(100);

    // It fires early, the stack finds nothing due, the driver arms for 300.
    clock.advanceTo(100);
    expect(stack.polls).toEqual([100]);
    expect(clock.nextDeadline).toBe(300);

    // An earlier deadline re-arms.
    stack.deadline = 150;
    driver.flush();
    expect(clock.nextDeadline).toBe(150);
    clock.advanceTo(400);
    expect(stack.polls).toEqual([100, 150]);
    expect(clock.nextDeadline).toBeUndefined();
  });

  it('disarms when the stack has no deadline left, and on close', () => {
    const clock = new VirtualClock();
    const stack = new FakeStack();
    const driver = new StackDriver(stack, idleLink(), clock);
    stack.deadline = 50;
    driver.flush();
    stack.deadline = undefined;
    driver.flush();
    expect(clock.nextDeadline).toBeUndefined();
    stack.deadline = 60;
    driver.flush();
    driver.close();
    expect(clock.nextDeadline).toBeUndefined();
    clock.advanceTo(100);
    expect(stack.polls).toEqual([]);
  });
});
