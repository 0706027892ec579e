import { describe, expect, it } from 'vitest';
import { MemoryLink } from '../../../src/link/memory-link.js';

function collect(link: MemoryLink): Uint8Array[] {
  const got: Uint8Array[] = [];
  link.onReceive((batch) => {
    for (let i = 0; i < batch.count; i++) got.push(batch.packet(i));
  });
  return got;
}

describe('MemoryLink', () => {
  it('delivers what one end sends to the other, copied, only when pumped', () => {
    const [a, b] = MemoryLink.pair({ delivery: 'manual' });
    const atB = collect(b);
    const atA = collect(a);
    const packet = new Uint8Array([0x45, 1, 2, 3]);
    a.send([packet]);
    packet[1] = 99;
    expect(atB).toEqual([]);
    expect(a.pump()).toBe(1);
    expect([...atB[0]]).toEqual([0x45, 1, 2, 3]);
    b.send([new Uint8Array([0x60])]);
    a.pump();
    expect(atA).toHaveLength(1);
  });

  it('delivers on the next turn of the event loop by default, never inside send()', async () => {
    const [a, b] = MemoryLink.pair();
    const atB = collect(b);
    a.send([new Uint8Array(10), new Uint8Array(20)]);
    expect(atB).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(atB.map((p) => p.length)).toEqual([10, 20]);
  });

  it('drops packets above the MTU and beyond the queue limit, and after close', () => {
    const [a, b] = MemoryLink.pair({ delivery: 'manual', mtu: 100, queueLimit: 2 });
    const atB = collect(b);
    a.send([new Uint8Array(101), new Uint8Array(1), new Uint8Array(2), new Uint8Array(3)]);
    expect(a.stats).toMatchObject({ sent: 2, oversized: 1, dropped: 1 });
    a.pump();
    expect(atB.map((p) => p.length)).toEqual([1, 2]);
    b.close();
    a.send([new Uint8Array(4)]);
    expect(a.stats.dropped).toBe(2);
  });
});
