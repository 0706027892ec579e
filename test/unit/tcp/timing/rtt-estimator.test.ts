import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { karnAllowsSample, RttEstimator, WindowedMin, type RttSampleInfo } from '../../../../src/tcp/timing/index.js';

/** A sample info where every sample closes Linux's round trip (SND.UNA moves past rtt_seq). */
let seq = 1000;
function fresh(now = 0): RttSampleInfo {
  seq += 1000;
  return { now, sndUna: seq, sndNxt: seq + 500 };
}
/** A sample inside the current round trip (SND.UNA does not pass rtt_seq). */
function sameRound(now = 0): RttSampleInfo {
  return { now, sndUna: seq, sndNxt: seq + 500 };
}

describe('RFC 6298 as written (variant rfc6298)', () => {
  it('(2.1) RTO is 1 s before any sample', () => {
    const e = new RttEstimator({ variant: 'rfc6298' });
    expect(e.rto).toBe(1000);
    expect(e.srtt).toBeUndefined();
    expect(e.rttvar).toBeUndefined();
    expect(e.samples).toBe(0);
  });

  it('(2.2) first sample: SRTT = R, RTTVAR = R/2, RTO = SRTT + max(G, 4·RTTVAR)', () => {
    const e = new RttEstimator({ variant: 'rfc6298' });
    expect(e.sample(100, fresh())).toBe(true);
    expect(e.srtt).toBe(100);
    expect(e.rttvar).toBe(50);
    expect(e.rto).toBe(300);
  });

  it('(2.3) later samples: alpha 1/8, beta 1/4, RTTVAR from the SRTT before its update', () => {
    const e = new RttEstimator({ variant: 'rfc6298' });
    e.sample(100, fresh());
    e.sample(200, fresh());
    expect(e.rttvar).toBe(0.75 * 50 + 0.25 * 100);
    expect(e.srtt).toBe(0.875 * 100 + 0.125 * 200);
    expect(e.rto).toBe(112.5 + 4 * 62.5);
  });

  it('§4: the variance term is at least the clock granularity G (1 ms)', () => {
    const e = new RttEstimator({ variant: 'rfc6298', rtoMin: 0.5 });
    e.sample(0, fresh());
    expect(e.rto).toBe(1);
    const g = new RttEstimator({ variant: 'rfc6298', rtoMin: 0.5, clockGranularity: 10 });
    g.sample(0, fresh());
    expect(g.rto).toBe(10);
  });

  it('(2.4) the minimum: 200 ms by default (Linux), 1 s as the RFC asks when configured so', () => {
    const e = new RttEstimator({ variant: 'rfc6298' });
    e.sample(10, fresh());
    expect(e.rto).toBe(200);
    const strict = new RttEstimator({ variant: 'rfc6298', rtoMin: 1000 });
    strict.sample(10, fresh());
    expect(strict.rto).toBe(1000);
  });

  it('(2.5) the maximum: 120 s', () => {
    const e = new RttEstimator({ variant: 'rfc6298' });
    e.sample(100_000, fresh());
    expect(e.rto).toBe(120_000);
  });
});

describe("Linux's estimator (tcp_rtt_estimator, __tcp_set_rto)", () => {
  it('first sample: RTO = R + max(2R, rtoMin), i.e. 3R or R + 200 ms', () => {
    const a = new RttEstimator();
    a.sample(300, fresh());
    expect(a.rto).toBe(900);
    expect(a.srtt).toBe(300);
    expect(a.rttvar).toBe(150);
    const b = new RttEstimator();
    b.sample(10, fresh());
    expect(b.rto).toBe(210); // RFC 6298 with a 200 ms minimum would say 200
    expect(b.rttvar).toBe(50); // ss -i shows rttvar_us >> 2, never below rtoMin / 4
  });

  it('RTO = SRTT + max(4·RTTVAR, rtoMin): a steady path settles at SRTT + 200 ms', () => {
    const e = new RttEstimator();
    for (let i = 0; i < 200; i++) e.sample(50, fresh());
    expect(e.srtt).toBeCloseTo(50, 9);
    expect(e.rto).toBeCloseTo(250, 6);
    const rfc = new RttEstimator({ variant: 'rfc6298' });
    for (let i = 0; i < 200; i++) rfc.sample(50, fresh());
    expect(rfc.rto).toBe(200); // max(rtoMin, 50 + max(G, ~0))
  });

  it('a rising RTT raises the RTO at once (mdev above rttvar)', () => {
    const e = new RttEstimator();
    e.sample(100, fresh()); // srtt 100, mdev 200, rttvar 200
    e.sample(500, sameRound()); // err 400: mdev = 200 + 400 - 50 = 550
    expect(e.srtt).toBe(150);
    expect(e.rto).toBe(150 + 550);
  });

  it('a falling RTT moves mdev with the finer gain 1/32', () => {
    const e = new RttEstimator();
    e.sample(100, fresh());
    e.sample(20, sameRound()); // |err| 80, minus mdev/4 (50) = 30, / 8 = 3.75
    expect(e.srtt).toBe(90);
    expect(e.rto).toBe(90 + 203.75);
  });

  it('rttvar decays only once per round trip, a quarter of the way to the last round maximum', () => {
    const e = new RttEstimator();
    e.sample(100, fresh()); // rttvar 200; the round's maximum starts at 200
    e.sample(700, sameRound()); // mdev = 200 + 600 - 50 = 750: rttvar 750 at once
    expect(e.rttvar! * 4).toBe(750);
    for (let i = 0; i < 5; i++) e.sample(175, sameRound()); // same round trip: no decay
    expect(e.rttvar! * 4).toBe(750);
    e.sample(175, fresh()); // this round's maximum was 750 itself: nothing to decay toward
    expect(e.rttvar! * 4).toBe(750);
    e.sample(175, sameRound()); // mdev is small now; the new round's maximum is rtoMin (200)
    e.sample(175, fresh()); // the round ends: rttvar -= (750 - 200) / 4
    expect(e.rttvar! * 4).toBe(612.5);
  });
});

describe("Karn's algorithm (RFC 6298 §3) and timestamps (RFC 7323 §4)", () => {
  it('refuses samples from retransmitted segments, unless timed by TSecr', () => {
    expect(karnAllowsSample({})).toBe(true);
    expect(karnAllowsSample({ fromRetransmission: true })).toBe(false);
    expect(karnAllowsSample({ fromRetransmission: true, fromTimestamp: true })).toBe(true);
    const e = new RttEstimator();
    e.backoff();
    expect(e.sample(100, { ...fresh(), fromRetransmission: true })).toBe(false);
    expect(e.samples).toBe(0);
    expect(e.rto).toBe(2000); // the backed-off RTO is kept
    expect(e.sample(100, { ...fresh(), fromRetransmission: true, fromTimestamp: true })).toBe(true);
    expect(e.rto).toBe(300);
    expect(e.backoffs).toBe(0);
  });

  it('refuses negative and non-finite samples', () => {
    const e = new RttEstimator();
    expect(e.sample(-1, fresh())).toBe(false);
    expect(e.sample(Number.NaN, fresh())).toBe(false);
    expect(e.sample(Number.POSITIVE_INFINITY, fresh())).toBe(false);
    expect(e.samples).toBe(0);
  });
});

describe('exponential backoff (RFC 6298 5.5)', () => {
  it('doubles up to 120 s and stays there', () => {
    const e = new RttEstimator();
    const rtos = Array.from({ length: 9 }, () => e.backoff());
    expect(rtos).toEqual([2000, 4000, 8000, 16_000, 32_000, 64_000, 120_000, 120_000, 120_000]);
    expect(e.backoffs).toBe(9);
  });

  it('a valid sample collapses the backed-off RTO (Linux resets icsk_backoff)', () => {
    const e = new RttEstimator();
    e.sample(100, fresh());
    e.backoff();
    e.backoff();
    expect(e.rto).toBe(1200);
    e.sample(100, fresh());
    expect(e.backoffs).toBe(0);
    expect(e.rto).toBeLessThan(400);
  });

  it('resetBackoff returns to the computed RTO', () => {
    const e = new RttEstimator();
    e.backoff();
    e.resetBackoff();
    expect(e.rto).toBe(1000);
    e.sample(100, fresh());
    e.backoff();
    e.resetBackoff();
    expect(e.rto).toBe(300);
  });
});

describe('RFC 6298 §5.7: 3 s once data flows after a handshake without an RTT sample', () => {
  it('applies only when no sample was taken', () => {
    const e = new RttEstimator();
    e.backoff();
    e.onEstablished();
    expect(e.rto).toBe(3000);
    expect(e.backoffs).toBe(0);
    e.sample(100, fresh());
    expect(e.rto).toBe(300);

    const measured = new RttEstimator();
    measured.sample(100, fresh());
    measured.onEstablished();
    expect(measured.rto).toBe(300);
  });
});

describe('min RTT over a 300 s window (Linux tcp_min_rtt_wlen)', () => {
  it('tracks the minimum and lets it age out', () => {
    const e = new RttEstimator();
    e.sample(50, fresh(0));
    e.sample(80, fresh(100_000)); // kept as the second choice (a quarter of the window later)
    expect(e.minRtt).toBe(50);
    e.sample(90, fresh(301_000)); // 50 aged out
    expect(e.minRtt).toBe(80);
    e.sample(95, fresh(700_000));
    expect(e.minRtt).toBe(95);
    expect(e.latestRtt).toBe(95);
  });

  it('WindowedMin keeps the best of its sub-windows', () => {
    const m = new WindowedMin(100);
    expect(m.value).toBeUndefined();
    m.update(0, 10);
    m.update(30, 20);
    m.update(60, 30);
    expect(m.value).toBe(10);
    m.update(101, 40); // 10 aged out: the second choice (from the 2nd quarter) takes over
    expect(m.value).toBe(20);
    m.update(400, 50); // everything aged out
    expect(m.value).toBe(50);
    m.update(401, 5);
    expect(m.value).toBe(5);
  });

  it('is never above the true minimum of the window, and never below the minimum ever seen', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 1000 })), { minLength: 1, maxLength: 60 }), (steps) => {
        const m = new WindowedMin(100);
        const seen: { t: number; v: number }[] = [];
        let t = 0;
        for (const [dt, v] of steps) {
          t += dt;
          seen.push({ t, v });
          const got = m.update(t, v);
          const inWindow = seen.filter((x) => t - x.t <= 100).map((x) => x.v);
          expect(got).toBeLessThanOrEqual(Math.max(...inWindow));
          expect(got).toBeGreaterThanOrEqual(Math.min(...seen.map((x) => x.v)));
          expect(got).toBeLessThanOrEqual(v);
        }
      }),
    );
  });
});

describe('properties', () => {
  const action = fc.oneof(
    fc.record({ kind: fc.constant('sample' as const), rtt: fc.double({ min: 0, max: 200_000, noNaN: true }), newRound: fc.boolean(), retrans: fc.boolean(), ts: fc.boolean() }),
    fc.record({ kind: fc.constant('backoff' as const) }),
    fc.record({ kind: fc.constant('reset' as const) }),
    fc.record({ kind: fc.constant('established' as const) }),
  );

  it('RTO stays within [rtoMin, rtoMax], and Linux keeps it at least SRTT + rtoMin (below the cap)', () => {
    fc.assert(
      fc.property(fc.constantFrom('linux' as const, 'rfc6298' as const), fc.array(action, { maxLength: 80 }), (variant, actions) => {
        const e = new RttEstimator({ variant });
        let now = 0;
        for (const a of actions) {
          now += 10;
          if (a.kind === 'sample') e.sample(a.rtt, { ...(a.newRound ? fresh(now) : sameRound(now)), fromRetransmission: a.retrans, fromTimestamp: a.ts });
          else if (a.kind === 'backoff') e.backoff();
          else if (a.kind === 'reset') e.resetBackoff();
          else e.onEstablished();
          expect(e.rto).toBeGreaterThanOrEqual(e.rtoMin);
          expect(e.rto).toBeLessThanOrEqual(e.rtoMax);
          if (variant === 'linux' && e.srtt !== undefined && e.backoffs === 0) expect(e.rto).toBeGreaterThanOrEqual(Math.min(e.srtt + e.rtoMin, e.rtoMax) - 1e-9);
        }
      }),
    );
  });

  it('rejects impossible bounds', () => {
    expect(() => new RttEstimator({ rtoMin: 0 })).toThrow(RangeError);
    expect(() => new RttEstimator({ rtoMin: 500, rtoMax: 100 })).toThrow(RangeError);
  });
});
