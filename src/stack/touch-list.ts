// The endpoints (or listeners) something happened to during one turn of the stack, in order.
//
// A Set did this before; but a turn happens for every received batch, and clearing a Set
// allocates a new table each time (a connection-rate profile put it at 4% of the garbage). This
// list keeps its array and only overwrites it. The same object touched twice in a row is kept
// once (a burst of segments on one connection); touched again after another, it appears twice,
// which its consumers (flush, socket updates) take as they would a second turn: they are idempotent.
export class TouchList<T> {
  private items: (T | undefined)[] = [];
  private count = 0;

  get length(): number {
    return this.count;
  }

  add(item: T): void {
    if (this.count > 0 && this.items[this.count - 1] === item) return;
    this.items[this.count++] = item;
  }

  /** The item at `index` (< length). */
  at(index: number): T {
    return this.items[index] as T;
  }

  /** Empties the list, keeping its array; drops the references so nothing is kept alive. */
  clear(): void {
    // A loop, not fill(): fill() is a call into the runtime, slower for the few items of a turn.
    const items = this.items;
    for (let i = 0; i < this.count; i++) items[i] = undefined;
    this.count = 0;
  }
}
