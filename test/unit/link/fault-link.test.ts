// Fault injection: random impairments replay from their seed, and targeted rules act on
// exactly the packets they match.
import { describe, expect, it } from 'vitest';
import { FaultLink, type FaultLinkOptions } from '../../../src/link/fault-link.js';
import { MemoryLink } from '../../../src/link/memory-link.js';
import { SeededRandom } from '../../../src/link/random.js';
import { IPPROTO_TCP, TCP_ACK, TCP_FIN, TCP_SYN, buildIpv4Packet, buildTcpSegment, parsePacket } from '../../../src/wire/index.js';

const A = 0x0a000001;
const B = 0x0a000002;

function tcp(flags: number, seq: number, payload = new Uint8Array(0)): Uint8Array {
  return buildIpv4Packet({ src: A, dst: B, protocol: IPPROTO_TCP }, buildTcpSegment({ srcPort: 1, dstPort: 2, seq, ack: 1, flags, window: 100, payload }, A, B));
}

/** A fault link in front of one end of a manual memory pair, with a virtual scheduler. */
function rig(options: FaultLinkOptions) {
  const [near, far] = MemoryLink.pair({ delivery: 'manual' });
  const timers: { at: number; fn: () => void }[] = [];
  let now = 0;
  const fault = new FaultLink(near, { ...options, schedule: (ms, fn) => timers.push({ at: now + ms, fn }), now: () => now });
  const atFar: Uint8Array[] = [];
  far.onReceive((batch) => {
    for (let i = 0; i < batch.count; i++) atFar.push(batch.packet(i).slice());
  });
  const atNear: Uint8Array[] = [];
  fault.onReceive((batch) => {
    for (let i = 0; i < batch.count; i++) atNear.push(batch.packet(i).slice());
  });
  const advance = (ms: number): void => {
    const target = now + ms;
    for (;;) {
      timers.sort((x, y) => x.at - y.at);
      const next = timers[0];
      if (!next || next.at > target) break;
      timers.shift();
      now = next.at;
      next.fn();
    }
    now = target;
    near.pump();
  };
  return { fault, far, atFar, atNear, advance, pump: () => near.pump() };
}

function seqs(packets: Uint8Array[]): number[] {
  return packets.map((p) => {
    const r = parsePacket(p);
    return r.ok && r.l4.protocol === IPPROTO_TCP ? r.l4.seq : -1;
  });
}

describe('SeededRandom', () => {
  it('replays the same sequence from the same seed', () => {
    const x = new SeededRandom(42);
    const y = new SeededRandom(42);
    const z = new SeededRandom(43);
    const xs = Array.from({ length: 100 }, () => x.next());
    expect(Array.from({ length: 100 }, () => y.next())).toEqual(xs);
    expect(Array.from({ length: 100 }, () => z.next())).not.toEqual(xs);
    expect(xs.every((v) => v >= 0 && v < 1)).toBe(true);
  });
});

describe('FaultLink', () => {
  it('drops exactly the matching segment once: the ACK of a FIN', () => {
    const { fault, atFar, pump } = rig({ rules: [{ direction: 'out', match: { flags: '.', seq: 500 }, action: { kind: 'drop' } }] });
    fault.send([tcp(TCP_ACK, 499), tcp(TCP_ACK, 500), tcp(TCP_ACK, 500), tcp(TCP_FIN | TCP_ACK, 500)]);
    pump();
    expect(seqs(atFar)).toEqual([499, 500, 500]);
    expect(fault.stats.out.ruleDropped).toBe(1);
  });

  it('skips, then acts N times, then lets everything through', () => {
    const { fault, atFar, pump } = rig({});
    const rule = fault.addRule({ direction: 'both', match: { flags: 'S' }, action: { kind: 'drop' }, skip: 1, times: 2 });
    fault.send([1, 2, 3, 4].map((n) => tcp(TCP_SYN, n)));
    pump();
    expect(seqs(atFar)).toEqual([1, 4]);
    // The fourth SYN is not even looked at: the rule is spent.
    expect([rule.matched, rule.applied]).toEqual([3, 2]);
  });

  it('applies rules to incoming packets too, and duplicates on request', () => {
    const { fault, far, atNear, pump } = rig({ rules: [{ direction: 'in', match: { dataLength: 3 }, action: { kind: 'duplicate', copies: 2 } }] });
    far.send([tcp(TCP_ACK, 7, new Uint8Array(3)), tcp(TCP_ACK, 10)]);
    pump();
    expect(seqs(atNear)).toEqual([7, 7, 7, 10]);
    expect(fault.stats.in.passed).toBe(4);
  });

  it('delays a matching packet so the next one overtakes it', () => {
    const { fault, atFar, advance } = rig({ rules: [{ direction: 'out', match: { seq: 1 }, action: { kind: 'delay', ms: 50 } }] });
    fault.send([tcp(TCP_ACK, 1), tcp(TCP_ACK, 2)]);
    advance(10);
    expect(seqs(atFar)).toEqual([2]);
    advance(40);
    expect(seqs(atFar)).toEqual([2, 1]);
  });

  it('loses about the asked fraction, the same packets for the same seed', () => {
    const run = (seed: number) => {
      const { fault, atFar, pump } = rig({ seed, out: { loss: 0.05 } });
      fault.send(Array.from({ length: 4000 }, (_, i) => tcp(TCP_ACK, i)));
      pump();
      return seqs(atFar);
    };
    const first = run(7);
    expect(4000 - first.length).toBeGreaterThan(120);
    expect(4000 - first.length).toBeLessThan(280);
    expect(run(7)).toEqual(first);
    expect(run(8)).not.toEqual(first);
  });

  it('corrupts one bit per corrupted packet, which the checksum always catches', () => {
    const { fault, atFar, pump } = rig({ seed: 3, out: { corrupt: 0.2 } });
    const sent = Array.from({ length: 500 }, (_, i) => tcp(TCP_ACK, i, new Uint8Array(64).fill(i & 0xff)));
    fault.send(sent);
    pump();
    const refused = atFar.filter((p) => !parsePacket(p).ok).length;
    expect(fault.stats.out.corrupted).toBeGreaterThan(60);
    expect(refused).toBe(fault.stats.out.corrupted);
  });

  it('reorders: a held packet comes out after the one behind it', () => {
    const { fault, atFar, advance } = rig({ seed: 11, out: { reorder: 0.3 } });
    fault.send(Array.from({ length: 200 }, (_, i) => tcp(TCP_ACK, i)));
    advance(100);
    const got = seqs(atFar);
    expect([...got].sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(got).not.toEqual([...got].sort((x, y) => x - y));
    expect(fault.stats.out.reordered).toBeGreaterThan(20);
  });

  it('limits bandwidth: packets leave at the configured rate and overflow is dropped', () => {
    // 1000-byte packets at 80 kbit/s leave every 100 ms; with a 250 ms queue limit the
    // packets that would start at 0, 100 and 200 ms fit, the 7 behind them are dropped.
    const { fault, atFar, advance } = rig({ out: { rateBps: 80_000, queueLimitMs: 250 } });
    fault.send(Array.from({ length: 10 }, (_, i) => tcp(TCP_ACK, i, new Uint8Array(960))));
    expect(fault.stats.out.rateDropped).toBe(7);
    advance(105);
    expect(atFar).toHaveLength(1);
    advance(400);
    expect(seqs(atFar)).toEqual([0, 1, 2]);
  });
});

describe('hold and release', () => {
  it('holds matching packets back while others pass, then lets them go in order', () => {
    const released: number[] = [];
    const r = rig({ onReleased: (p) => released.push(seqs([p])[0]) });
    const hold = r.fault.addRule({ direction: 'out', match: { flags: 'S' }, action: { kind: 'hold' }, times: 2 });
    r.fault.send([tcp(TCP_SYN, 100), tcp(TCP_ACK, 1), tcp(TCP_SYN, 200), tcp(TCP_SYN, 300)]);
    r.pump();
    // The first two SYNs wait; the ACK and the third SYN (beyond `times`) pass.
    expect(seqs(r.atFar)).toEqual([1, 300]);
    expect(hold.holding).toBe(2);
    expect(r.fault.stats.out.ruleHeld).toBe(2);
    expect(hold.release()).toBe(2);
    r.pump();
    expect(seqs(r.atFar)).toEqual([1, 300, 100, 200]);
    expect(released).toEqual([100, 200]);
    expect(hold.holding).toBe(0);
    expect(hold.release()).toBe(0);
  });

  it('refuses a link with offloads, whose packets are not wire packets, and says what to open instead', () => {
    const [near] = MemoryLink.pair({ delivery: 'manual' });
    const offloading = Object.assign(Object.create(near) as MemoryLink, { offload: { checksum: true, gsoMaxSize: 65536 } });
    expect(() => new FaultLink(offloading)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('offload: false') }));
  });
});
