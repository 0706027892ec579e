import { describe, expect, it } from 'vitest';
import {
  createCongestionControl,
  Cubic,
  cubicK,
  INFINITE_SSTHRESH,
  renoFriendlyAlpha,
  wCubic,
  type CongestionWindow,
} from '../../../../src/tcp/congestion/index.js';
import { Sim } from './sim.js';

const MSS = 1000;
const ISS = 1000;

function window(segments: number): CongestionWindow {
  return { cwnd: segments * MSS, ssthresh: INFINITE_SSTHRESH, cwndCnt: 0, mss: MSS };
}

/**
 * A loss at `wMax` segments, then congestion avoidance with ACKs evenly spread, one per segment
 * per RTT (ACK clocking). Returns cwnd (segments) at each checkpoint (seconds after the loss).
 */
function afterLoss(opts: { rtt: number; wMax: number; checkpoints: number[]; renoFriendly?: boolean; fastConvergence?: boolean }): number[] {
  const cubic = new Cubic({ hystart: false, renoFriendly: opts.renoFriendly ?? false });
  const w = window(opts.wMax);
  cubic.init(w, 0, ISS);
  cubic.onAcked(w, { now: 0, rtt: opts.rtt, sndUna: ISS, sndNxt: ISS }); // delay_min
  w.ssthresh = cubic.ssthresh(w);
  w.cwnd = w.ssthresh;
  const out: number[] = [];
  let now = 0;
  for (const t of opts.checkpoints) {
    while (now < t * 1000) {
      now += opts.rtt / (w.cwnd / MSS);
      cubic.congAvoid(w, MSS, now);
    }
    out.push(w.cwnd / MSS);
  }
  return out;
}

describe('the cubic function (RFC 9438 §4.2)', () => {
  it('K = ∛((W_max − cwnd_epoch) / C)', () => {
    expect(cubicK(100, 70)).toBeCloseTo(Math.cbrt(75), 12);
    expect(cubicK(100, 70)).toBeCloseTo(4.2172, 4);
    expect(cubicK(50, 60)).toBe(0);
  });

  it('W_cubic(0) = cwnd_epoch, W_cubic(K) = W_max, concave before K and convex after', () => {
    const k = cubicK(100, 70);
    expect(wCubic(0, k, 100)).toBeCloseTo(70, 10);
    expect(wCubic(k, k, 100)).toBe(100);
    const step = (t: number): number => wCubic(t + 0.5, k, 100) - wCubic(t, k, 100);
    expect(step(0)).toBeGreaterThan(step(1));
    expect(step(1)).toBeGreaterThan(step(2));
    expect(step(k)).toBeLessThan(step(k + 1));
    expect(step(k + 1)).toBeLessThan(step(k + 2));
  });

  it('α_cubic = 3(1 − β)/(1 + β), 0.53 for β = 0.7 (RFC 9438 §4.3)', () => {
    expect(renoFriendlyAlpha(0.7)).toBeCloseTo(0.9 / 1.7, 12);
    expect(renoFriendlyAlpha(0.5)).toBe(1);
  });
});

describe('window growth follows W_cubic(t)', () => {
  const checkpoints = [0.5, 1, 2, 3, 4, 4.5, 5, 6, 7, 8];

  for (const rtt of [100, 10]) {
    it(`within 2 segments of C(t − K)³ + W_max, RTT ${rtt} ms`, () => {
      const got = afterLoss({ rtt, wMax: 100, checkpoints });
      const k = cubicK(100, 70);
      got.forEach((cwnd, i) => expect(Math.abs(cwnd - wCubic(checkpoints[i]!, k, 100))).toBeLessThanOrEqual(2));
    });
  }

  it('plateaus around W_max (concave, then convex)', () => {
    const [t1, t2, t3, t4, t5, t6] = afterLoss({ rtt: 100, wMax: 100, checkpoints: [1, 2, 3.5, 4.5, 6.5, 8] });
    expect(t2! - t1!).toBeGreaterThan(t3! - t2!); // slowing down toward W_max
    expect(t4!).toBeGreaterThanOrEqual(99);
    expect(t4!).toBeLessThanOrEqual(102);
    expect(t6! - t5!).toBeGreaterThan(t5! - t4!); // probing faster past it
  });
});

describe('the Reno-friendly region (RFC 9438 §4.3)', () => {
  it('on a short RTT, cwnd follows W_est = cwnd_epoch + α·t/RTT, far above W_cubic', () => {
    const checkpoints = [0.1, 0.2, 0.3];
    const got = afterLoss({ rtt: 1, wMax: 100, checkpoints, renoFriendly: true });
    const k = cubicK(100, 70);
    const wEst = (t: number): number => 70 + renoFriendlyAlpha(0.7) * (t * 1000);
    got.forEach((cwnd, i) => {
      const t = checkpoints[i]!;
      // With an unchanged cwnd Linux recomputes at most every 1/32 s, so W_est lags by up to
      // about 31 ms (31 round trips here).
      expect(cwnd).toBeGreaterThanOrEqual(wEst(t - 0.04));
      expect(cwnd).toBeLessThanOrEqual(wEst(t) + 1);
      expect(cwnd).toBeGreaterThan(1.4 * wCubic(t, k, 100));
    });
  });

  it('without it, the same path grows only as W_cubic', () => {
    const [cwnd] = afterLoss({ rtt: 1, wMax: 100, checkpoints: [0.3], renoFriendly: false });
    expect(cwnd).toBeLessThan(wCubic(0.3, cubicK(100, 70), 100) + 3);
  });
});

describe('multiplicative decrease and fast convergence (RFC 9438 §4.6, §4.7)', () => {
  it('ssthresh = cwnd × 0.7 in whole segments, at least 2', () => {
    const c = new Cubic();
    expect(c.ssthresh(window(100)) / MSS).toBe(70);
    expect(c.ssthresh(window(33)) / MSS).toBe(23);
    expect(c.ssthresh(window(30)) / MSS).toBe(21); // 0.7 × 30 is 20.999… in floating point
    expect(c.ssthresh(window(2)) / MSS).toBe(2);
  });

  it('a loss below the previous W_max remembers W_max = cwnd × (1 + β)/2', () => {
    const c = new Cubic();
    c.ssthresh(window(100));
    expect(c.snapshot().wMax).toBe(100);
    c.ssthresh(window(90));
    expect(c.snapshot().wMax).toBeCloseTo(76.5, 12);
    c.ssthresh(window(80));
    expect(c.snapshot().wMax).toBe(80); // above W_max again: plain cwnd
    const slow = new Cubic({ fastConvergence: false });
    slow.ssthresh(window(100));
    slow.ssthresh(window(90));
    expect(slow.snapshot().wMax).toBe(90);
  });

  it('through the controller: fast retransmit takes cwnd to 0.7', () => {
    const cc = createCongestionControl('cubic', MSS, { recoveryWindow: 'newreno' });
    cc.onEstablished({ now: 0, sndNxt: ISS });
    const sndNxt = ISS + 10 * MSS;
    cc.onDataSent({ now: 0, bytes: 10 * MSS, sndUna: ISS, sndNxt, flightSize: 10 * MSS });
    for (let i = 0; i < 3; i++) cc.onDupAck({ now: 10, ackNo: ISS, sndNxt, flightSize: 10 * MSS });
    expect(cc.ssthresh).toBe(7 * MSS);
    cc.onAck({ now: 20, ackNo: sndNxt, sndNxt, acked: 10 * MSS, flightSize: 0 });
    expect(cc.cwnd).toBe(2 * MSS); // RFC 6582 option (1) with nothing in flight
  });
});

describe("Linux's departures", () => {
  it('without a W_max yet, cwnd still grows at least 5% per RTT (cnt <= 20)', () => {
    const cubic = new Cubic({ hystart: false, renoFriendly: false });
    const w = window(100);
    cubic.init(w, 0, ISS);
    cubic.onAcked(w, { now: 0, rtt: 100, sndUna: ISS, sndNxt: ISS });
    w.ssthresh = w.cwnd; // slow start ended without a loss
    let now = 0;
    for (let i = 0; i < 100; i++) {
      now += 1;
      cubic.congAvoid(w, MSS, now);
    }
    expect(w.cwnd / MSS).toBeGreaterThanOrEqual(105);
  });

  it('a timeout forgets W_max and the minimum RTT (Linux bictcp_reset on TCP_CA_Loss)', () => {
    const cubic = new Cubic();
    const w = window(50);
    cubic.init(w, 0, ISS);
    cubic.onAcked(w, { now: 0, rtt: 40, sndUna: ISS, sndNxt: ISS });
    cubic.ssthresh(w);
    expect(cubic.snapshot()).toMatchObject({ wMax: 50, delayMin: 40 });
    cubic.onLoss(10, ISS);
    expect(cubic.snapshot()).toMatchObject({ wMax: 0, delayMin: undefined, epochStart: undefined });
  });

  it('an idle period shifts the epoch so the curve resumes where it paused', () => {
    const cubic = new Cubic({ hystart: false });
    const w = window(70);
    cubic.init(w, 0, ISS);
    w.ssthresh = w.cwnd;
    cubic.congAvoid(w, MSS, 1000); // the epoch starts at 1000
    cubic.onTxStart(6000, 2000); // idle from 2000 to 6000
    expect(cubic.snapshot().epochStart).toBe(5000);
    cubic.onTxStart(7000, 0); // never past now
    expect(cubic.snapshot().epochStart).toBe(7000);
  });

  it('discards RTT samples during the first second of an epoch', () => {
    const cubic = new Cubic({ hystart: false });
    const w = window(70);
    cubic.init(w, 0, ISS);
    cubic.onAcked(w, { now: 0, rtt: 50, sndUna: ISS, sndNxt: ISS });
    w.ssthresh = w.cwnd;
    cubic.congAvoid(w, MSS, 100);
    cubic.onAcked(w, { now: 500, rtt: 10, sndUna: ISS, sndNxt: ISS });
    expect(cubic.snapshot().delayMin).toBe(50);
    cubic.onAcked(w, { now: 1200, rtt: 10, sndUna: ISS, sndNxt: ISS });
    expect(cubic.snapshot().delayMin).toBe(10);
  });

  it('rejects impossible constants', () => {
    expect(() => new Cubic({ beta: 1 })).toThrow(RangeError);
    expect(() => new Cubic({ c: 0 })).toThrow(RangeError);
  });
});

describe("Linux's HyStart (tcp_cubic.c hystart_update)", () => {
  /** Slow start at `segments`, HyStart's first round ending at SND.NXT = ISS + 100 segments. */
  function slowStart(segments: number): { cubic: Cubic; w: CongestionWindow } {
    const cubic = new Cubic();
    const w = window(segments);
    cubic.init(w, 0, ISS + 100 * MSS);
    return { cubic, w };
  }

  it('delay increase: a round whose least RTT exceeds delay_min by max(4 ms, min(delay_min/8, 16 ms))', () => {
    const { cubic, w } = slowStart(20);
    let now = 0;
    for (let i = 0; i < 9; i++) cubic.onAcked(w, { now: (now += 10), rtt: 100, sndUna: ISS + i * MSS, sndNxt: ISS + 100 * MSS });
    expect(w.ssthresh).toBe(INFINITE_SSTHRESH);
    // The next round: RTTs of 112 ms (threshold 100 + 12.5) do not trigger, 113 ms do.
    const round2 = ISS + 200 * MSS;
    for (let i = 0; i < 9; i++) cubic.onAcked(w, { now: (now += 10), rtt: 112, sndUna: ISS + (101 + i) * MSS, sndNxt: round2 });
    expect(w.ssthresh).toBe(INFINITE_SSTHRESH);
    for (let i = 0; i < 9; i++) cubic.onAcked(w, { now: (now += 10), rtt: 113, sndUna: ISS + (201 + i) * MSS, sndNxt: round2 + 100 * MSS });
    expect(w.ssthresh).toBe(w.cwnd);
    expect(cubic.snapshot().hystartFound).toBe(true);
  });

  it('ACK train: back-to-back ACKs for longer than half the minimum RTT', () => {
    const { cubic, w } = slowStart(20);
    cubic.onAcked(w, { now: 0, rtt: 10, sndUna: ISS, sndNxt: ISS + 100 * MSS });
    for (let t = 1; t <= 5; t++) cubic.onAcked(w, { now: t, rtt: 10, sndUna: ISS, sndNxt: ISS + 100 * MSS });
    expect(w.ssthresh).toBe(INFINITE_SSTHRESH); // 5 ms is not more than 10 / 2
    cubic.onAcked(w, { now: 6, rtt: 10, sndUna: ISS, sndNxt: ISS + 100 * MSS });
    expect(w.ssthresh).toBe(20 * MSS);
  });

  it('waits for 16 segments (hystart_low_window), and can be turned off', () => {
    const { cubic, w } = slowStart(15);
    for (let t = 0; t <= 20; t++) cubic.onAcked(w, { now: t, rtt: 10, sndUna: ISS, sndNxt: ISS + 100 * MSS });
    expect(w.ssthresh).toBe(INFINITE_SSTHRESH);
    const off = new Cubic({ hystart: false });
    const w2 = window(20);
    off.init(w2, 0, ISS);
    for (let t = 0; t <= 20; t++) off.onAcked(w2, { now: t, rtt: 10, sndUna: ISS, sndNxt: ISS + 100 * MSS });
    expect(w2.ssthresh).toBe(INFINITE_SSTHRESH);
  });
});

describe('CUBIC on a path', () => {
  it('slow start, a loss, recovery at 0.7, then concave growth back toward W_max', () => {
    let dropped = false;
    const sim = new Sim(createCongestionControl('cubic', MSS), {
      rtt: 100,
      drop: (_seq, n, at) => {
        if (n === 1 && at >= 400 && !dropped) return (dropped = true);
        return false;
      },
    });
    sim.run(600);
    expect(sim.cc.caState).toBe('open');
    const ssthresh = sim.cc.ssthresh / MSS;
    const wMax = sim.cc.snapshot().algorithm.wMax as number;
    expect(ssthresh).toBe(Math.floor(wMax * 0.7));
    const before = sim.cc.cwnd;
    sim.run(5000);
    expect(sim.cc.cwnd).toBeGreaterThan(before);
    expect(sim.timeouts).toBe(0);
  });
});
