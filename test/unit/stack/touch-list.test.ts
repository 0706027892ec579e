import { describe, expect, it } from 'vitest';
import { TouchList } from '../../../src/stack/touch-list.js';

describe('TouchList', () => {
  it('keeps order, takes the same object touched twice in a row once, and empties for reuse', () => {
    const a = { name: 'a' };
    const b = { name: 'b' };
    const list = new TouchList<{ name: string }>();
    for (const x of [a, a, a, b, a]) list.add(x);
    expect(Array.from({ length: list.length }, (_, i) => list.at(i).name)).toEqual(['a', 'b', 'a']);
    list.clear();
    expect(list.length).toBe(0);
    list.add(b);
    expect(list.length).toBe(1);
    expect(list.at(0)).toBe(b);
    // After clear() the old slots hold nothing: a cleared list keeps no object alive.
    expect((list as unknown as { items: unknown[] }).items.slice(1)).toEqual([undefined, undefined]);
  });
});
