// FaultLink's onCorrupted hook names the byte and bit it flipped, so a test can tell which end's
// check a damaged packet meets (scripts/lib/impaired-transfer.ts accounts corrupted packets
// against the kernel's counters with it).
import { expect, it } from 'vitest';
import { FaultLink } from '../../../src/link/fault-link.js';
import { MemoryLink } from '../../../src/link/memory-link.js';
import { IPPROTO_TCP, buildIpv4Packet, buildTcpSegment } from '../../../src/wire/index.js';

it('reports every corruption with the flipped byte and bit, exactly as it reached the wire', () => {
  const [near, far] = MemoryLink.pair({ delivery: 'manual' });
  const reports: { packet: Uint8Array; byte: number; bit: number }[] = [];
  const fault = new FaultLink(near, { seed: 9, out: { corrupt: 0.5 }, onCorrupted: (packet, direction, byte, bit) => {
    expect(direction).toBe('out');
    reports.push({ packet: packet.slice(), byte, bit });
  } });
  const atFar: Uint8Array[] = [];
  far.onReceive((batch) => {
    for (let i = 0; i < batch.count; i++) atFar.push(batch.packet(i).slice());
  });
  const original = buildIpv4Packet({ src: 1, dst: 2, protocol: IPPROTO_TCP }, buildTcpSegment({ srcPort: 1, dstPort: 2, seq: 7, flags: 0x10, window: 100 }, 1, 2));
  for (let i = 0; i < 200; i++) fault.send([original]);
  near.pump();
  expect(reports.length).toBe(fault.stats.out.corrupted);
  expect(reports.length).toBeGreaterThan(50);
  for (const r of reports) {
    const expected = original.slice();
    expected[r.byte]! ^= 1 << r.bit;
    expect(r.packet).toEqual(expected);
  }
  // What arrived: the untouched packets and exactly the reported damaged ones.
  const damaged = atFar.filter((p) => !Buffer.from(p).equals(Buffer.from(original)));
  expect(damaged.map((p) => Buffer.from(p).toString('hex'))).toEqual(reports.map((r) => Buffer.from(r.packet).toString('hex')));
});
