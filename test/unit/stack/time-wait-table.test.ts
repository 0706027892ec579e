import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIpAddress, type IpAddress } from '../../../src/wire/address.js';
import { TimeWaitTable, type TimeWaitEntry } from '../../../src/stack/time-wait-table.js';

const ip = (text: string): IpAddress => parseIpAddress(text)!;

function entry(localPort: number, overrides: Partial<TimeWaitEntry> = {}): TimeWaitEntry {
  return {
    localAddress: ip('10.0.0.1'),
    localPort,
    remoteAddress: ip('10.0.0.2'),
    remotePort: 80,
    sndNxt: 1000,
    rcvNxt: 2000,
    rcvWnd: 64240,
    rcvWscale: 7,
    ...overrides,
  };
}

describe('TimeWaitTable', () => {
  it('stores what a TIME-WAIT needs and finds it by 4-tuple', () => {
    const t = new TimeWaitTable({ seed: 1 });
    const slot = t.insert(entry(40000, { tsRecent: 777, tsRecentStamp: 5, tsOffset: 99, reuseAddress: true }), 10);
    expect(t.count).toBe(1);
    expect(t.lookup(ip('10.0.0.1'), 40000, ip('10.0.0.2'), 80)).toBe(slot);
    expect(t.lookup(ip('10.0.0.1'), 40001, ip('10.0.0.2'), 80)).toBe(-1);
    expect(t.lookup(ip('10.0.0.2'), 80, ip('10.0.0.1'), 40000)).toBe(-1);
    expect(t.localAddress(slot)).toBe(ip('10.0.0.1'));
    expect(t.remoteAddress(slot)).toBe(ip('10.0.0.2'));
    expect([t.localPort(slot), t.remotePort(slot)]).toEqual([40000, 80]);
    expect([t.sndNxt(slot), t.rcvNxt(slot), t.rcvWnd(slot), t.rcvWscale(slot)]).toEqual([1000, 2000, 64240, 7]);
    expect([t.tsRecent(slot), t.tsRecentStamp(slot), t.tsOffset(slot)]).toEqual([777, 5, 99]);
    expect(t.reuseAddress(slot)).toBe(true);
    expect(t.hasTimestamps(slot)).toBe(true);
    expect(t.entryStamp(slot)).toBe(10);
    expect(t.expiresAt(slot)).toBe(60_010);
  });

  it('keeps IPv6 and IPv4 apart, including ::a.b.c.d against a.b.c.d', () => {
    const t = new TimeWaitTable({ seed: 2 });
    const v6 = t.insert(entry(1, { localAddress: ip('fd00::1'), remoteAddress: ip('fd00::2') }), 0);
    const compat = t.insert(entry(1, { localAddress: ip('::10.0.0.1'), remoteAddress: ip('::10.0.0.2') }), 0);
    const v4 = t.insert(entry(1), 0);
    expect(new Set([v6, compat, v4]).size).toBe(3);
    expect(t.lookup(ip('fd00::1'), 1, ip('fd00::2'), 80)).toBe(v6);
    expect(t.lookup(ip('::10.0.0.1'), 1, ip('::10.0.0.2'), 80)).toBe(compat);
    expect(t.lookup(ip('10.0.0.1'), 1, ip('10.0.0.2'), 80)).toBe(v4);
    expect(t.localAddress(v6)).toEqual(ip('fd00::1'));
    expect(t.remoteAddress(compat)).toEqual(ip('::10.0.0.2'));
  });

  it('expires after exactly timeWaitLength: not at 59 999, at 60 000', () => {
    const t = new TimeWaitTable();
    t.insert(entry(1), 0);
    expect(t.nextExpiry()).toBe(60_000);
    expect(t.expire(59_999)).toBe(0);
    const expired: number[] = [];
    expect(t.expire(60_000, (slot) => expired.push(t.localPort(slot)))).toBe(1);
    expect(expired).toEqual([1]);
    expect(t.count).toBe(0);
    expect(t.nextExpiry()).toBeUndefined();
  });

  it('restart moves an entry to the back of the queue and extends its life by 2MSL from now', () => {
    const t = new TimeWaitTable({ timeWaitLength: 1000 });
    const a = t.insert(entry(1), 0);
    t.insert(entry(2), 100);
    t.restart(a, 500);
    expect(t.nextExpiry()).toBe(1100);
    const order: number[] = [];
    t.expire(1500, (slot) => order.push(t.localPort(slot)));
    expect(order).toEqual([2, 1]);
  });

  it('restarts an entry for its own 2MSL, as inserted', () => {
    const t = new TimeWaitTable({ timeWaitLength: 60_000 });
    const short = t.insert(entry(1), 0, 2_000);
    expect(t.duration(short)).toBe(2_000);
    t.restart(short, 1_500);
    expect(t.expiresAt(short)).toBe(3_500);
  });

  it('names an entry for good by (slot, generation): a reused slot does not hold the old one', () => {
    const t = new TimeWaitTable();
    const a = t.insert(entry(1), 0);
    const generation = t.generation(a);
    expect(t.holds(a, generation)).toBe(true);
    t.remove(a);
    expect(t.holds(a, generation)).toBe(false);
    const b = t.insert(entry(2), 10);
    expect(b).toBe(a);
    expect(t.holds(b, generation)).toBe(false);
    expect(t.holds(b, t.generation(b))).toBe(true);
    expect(t.holds(-1, 0)).toBe(false);
  });

  it('replaces an entry inserted again for the same 4-tuple', () => {
    const t = new TimeWaitTable();
    t.insert(entry(1, { sndNxt: 1 }), 0);
    const s = t.insert(entry(1, { sndNxt: 2 }), 5);
    expect(t.count).toBe(1);
    expect(t.sndNxt(s)).toBe(2);
  });

  it('refuses entries beyond tcpMaxTwBuckets', () => {
    const t = new TimeWaitTable({ tcpMaxTwBuckets: 2 });
    expect(t.insert(entry(1), 0)).toBeGreaterThanOrEqual(0);
    expect(t.insert(entry(2), 0)).toBeGreaterThanOrEqual(0);
    expect(t.insert(entry(3), 0)).toBe(-1);
    expect(t.count).toBe(2);
  });

  it('lists entries with their remaining time for ss', () => {
    const t = new TimeWaitTable();
    t.insert(entry(1), 0);
    t.insert(entry(2), 15_000);
    expect([...t.entries(30_000)].map((e) => [e.localPort, e.remaining])).toEqual([
      [1, 30_000],
      [2, 45_000],
    ]);
  });

  it('costs at most 200 bytes per entry', () => {
    const t = new TimeWaitTable();
    for (let i = 0; i < 100_000; i++) t.insert(entry(i & 0xffff, { remotePort: i >>> 16 }), i);
    expect(t.count).toBe(100_000);
    expect(t.bytesPerEntry()).toBeLessThanOrEqual(200);
  });

  it('behaves as a map plus a sorted expiry list under random inserts, removes, restarts and expiries', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('insert' as const), port: fc.integer({ min: 1, max: 40 }), v6: fc.boolean(), duration: fc.constantFrom(1000, 1000, 1000, 500, 3000) }),
      fc.record({ kind: fc.constant('remove' as const), port: fc.integer({ min: 1, max: 40 }), v6: fc.boolean() }),
      fc.record({ kind: fc.constant('restart' as const), port: fc.integer({ min: 1, max: 40 }), v6: fc.boolean() }),
      fc.record({ kind: fc.constant('advance' as const), by: fc.integer({ min: 0, max: 700 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const t = new TimeWaitTable({ timeWaitLength: 1000, initialCapacity: 16, seed: 3 });
        const model = new Map<string, { expiry: number; order: number; duration: number }>();
        let now = 0;
        let order = 0;
        const addr = (v6: boolean, remote: boolean): IpAddress => (v6 ? ip(remote ? 'fd00::2' : 'fd00::1') : ip(remote ? '10.0.0.2' : '10.0.0.1'));
        const key = (port: number, v6: boolean): string => `${v6}|${port}`;
        for (const o of ops) {
          if (o.kind === 'insert') {
            t.insert(entry(o.port, { localAddress: addr(o.v6, false), remoteAddress: addr(o.v6, true), sndNxt: o.port }), now, o.duration);
            model.set(key(o.port, o.v6), { expiry: now + o.duration, order: order++, duration: o.duration });
          } else if (o.kind === 'remove' || o.kind === 'restart') {
            const slot = t.lookup(addr(o.v6, false), o.port, addr(o.v6, true), 80);
            expect(slot >= 0).toBe(model.has(key(o.port, o.v6)));
            if (slot < 0) continue;
            if (o.kind === 'remove') {
              t.remove(slot);
              model.delete(key(o.port, o.v6));
            } else {
              // A restart lasts the entry's own 2MSL again.
              t.restart(slot, now);
              const { duration } = model.get(key(o.port, o.v6))!;
              model.set(key(o.port, o.v6), { expiry: now + duration, order: order++, duration });
            }
          } else {
            now += o.by;
            const got: string[] = [];
            t.expire(now, (slot) => got.push(key(t.localPort(slot), t.isIpv6(slot))));
            const want = [...model.entries()].filter(([, v]) => v.expiry <= now).sort((a, b) => a[1].expiry - b[1].expiry || a[1].order - b[1].order).map(([k]) => k);
            for (const k of want) model.delete(k);
            expect(got).toEqual(want);
          }
          expect(t.count).toBe(model.size);
          const next = model.size === 0 ? undefined : Math.min(...[...model.values()].map((v) => v.expiry));
          expect(t.nextExpiry()).toBe(next);
          for (const [k] of model) {
            const [v6, port] = [k.startsWith('true'), Number(k.split('|')[1])];
            const slot = t.lookup(addr(v6, false), port, addr(v6, true), 80);
            expect(slot).toBeGreaterThanOrEqual(0);
            expect(t.sndNxt(slot)).toBe(port);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
