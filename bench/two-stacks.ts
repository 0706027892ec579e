// Two stacks joined back to back in one process, for the micro benchmarks: what one outputs the
// other takes in, at one instant, until nothing moves.
import type { Stack } from '../src/stack/stack.js';

export function pump(a: Stack, b: Stack, now = 0): void {
  for (let moved = true; moved; ) {
    moved = false;
    for (const p of a.takeOutput()) {
      moved = true;
      b.input(p, now);
    }
    for (const p of b.takeOutput()) {
      moved = true;
      a.input(p, now);
    }
  }
}
