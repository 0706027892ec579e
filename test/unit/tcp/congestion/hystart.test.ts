import { describe, expect, it } from 'vitest';
import { createCongestionControl, HYSTART_PLUS_PLUS, HyStartPlusPlus, type CongestionChange } from '../../../../src/tcp/congestion/index.js';

const MSS = 1000;
const ISS = 1000;

/** Drives HyStart++ round by round: each round ends when the ACK reaches its windowEnd. */
class Rounds {
  readonly h = new HyStartPlusPlus();
  private windowEnd = ISS + 10 * MSS;
  private acked = ISS;
  exits = 0;

  constructor() {
    this.h.start(this.windowEnd);
  }

  /** One round: `rtts.length` ACKs inside it, then the ACK that closes it. */
  round(rtts: number[]): void {
    for (const rtt of rtts) {
      this.acked += 1;
      if (this.h.onAck(this.acked, this.windowEnd)) this.exits++;
      this.h.onRttSample(rtt);
    }
    this.acked = this.windowEnd;
    this.windowEnd += 10 * MSS;
    if (this.h.onAck(this.acked, this.windowEnd)) this.exits++;
  }
}

const eight = (rtt: number): number[] => Array.from({ length: HYSTART_PLUS_PLUS.N_RTT_SAMPLE }, () => rtt);

describe('HyStart++ (RFC 9406)', () => {
  it('the recommended constants (§4.3)', () => {
    expect(HYSTART_PLUS_PLUS).toEqual({ MIN_RTT_THRESH: 4, MAX_RTT_THRESH: 16, MIN_RTT_DIVISOR: 8, N_RTT_SAMPLE: 8, CSS_GROWTH_DIVISOR: 4, CSS_ROUNDS: 5, L_NON_PACED: 8 });
  });

  it('leaves slow start for CSS when a round\'s least RTT rises by RttThresh = clamp(last/8, 4, 16) ms', () => {
    const r = new Rounds();
    r.round(eight(100));
    r.round(eight(100));
    r.round(eight(112)); // 100 + 12.5 not reached
    expect(r.h.inCss).toBe(false);
    r.round(eight(125)); // 112 + 14 = 126 not reached
    expect(r.h.inCss).toBe(false);
    r.round(eight(140)); // 125 + 15.625 = 140.6 not reached
    expect(r.h.inCss).toBe(false);
    r.round(eight(157)); // 140 + 16 (the cap) = 156: reached
    expect(r.h.inCss).toBe(true);
  });

  it('the 4 ms floor on a short path', () => {
    const r = new Rounds();
    r.round(eight(10));
    r.round(eight(13.9));
    expect(r.h.inCss).toBe(false);
    r.round(eight(18));
    expect(r.h.inCss).toBe(true);
  });

  it('needs N_RTT_SAMPLE samples in the round', () => {
    const r = new Rounds();
    r.round(eight(100));
    r.round([200, 200, 200, 200, 200, 200, 200]);
    expect(r.h.inCss).toBe(false);
  });

  it('CSS grows a quarter as fast, and after CSS_ROUNDS rounds asks for ssthresh = cwnd', () => {
    const r = new Rounds();
    r.round(eight(100));
    r.round(eight(120)); // into CSS: this round is the first of five
    expect(r.h.inCss).toBe(true);
    expect(r.h.growth(4 * MSS, MSS)).toBe(MSS);
    expect([1, 2, 3, 4].map(() => r.h.growth(MSS, MSS))).toEqual([250, 250, 250, 250]);
    for (let i = 0; i < 3; i++) r.round(eight(120));
    expect(r.exits).toBe(0);
    r.round(eight(120));
    expect(r.exits).toBe(1);
    expect(r.h.active).toBe(false);
  });

  it('a spurious exit: the RTT falls below the CSS baseline, slow start resumes', () => {
    const r = new Rounds();
    r.round(eight(100));
    r.round(eight(120));
    expect(r.h.inCss).toBe(true);
    r.round(eight(110));
    expect(r.h.inCss).toBe(false);
    expect(r.h.growth(4 * MSS, MSS)).toBe(4 * MSS);
  });

  it('limits slow start to L = 8 SMSS per ACK without pacing', () => {
    const h = new HyStartPlusPlus();
    expect(h.growth(20 * MSS, MSS)).toBe(8 * MSS);
    expect(new HyStartPlusPlus(Number.POSITIVE_INFINITY).growth(20 * MSS, MSS)).toBe(20 * MSS);
  });

  it('is for the initial slow start only: finish() ends it', () => {
    const h = new HyStartPlusPlus();
    h.finish();
    expect(h.active).toBe(false);
    expect(h.onAck(ISS, ISS)).toBe(false);
  });
});

describe('HyStart++ in the controller', () => {
  it('applies L to a stretch ACK, and sets ssthresh = cwnd when CSS ends', () => {
    const changes: CongestionChange[] = [];
    const cc = createCongestionControl('newreno', MSS, { slowStartExit: 'hystart++', onChange: (c) => changes.push(c) });
    cc.onEstablished({ now: 0, sndNxt: ISS });
    let sndNxt = ISS + 10 * MSS;
    let sndUna = ISS;
    cc.onDataSent({ now: 0, bytes: 10 * MSS, sndUna, sndNxt, flightSize: 10 * MSS });
    cc.onAck({ now: 100, ackNo: ISS + 10 * MSS, sndNxt, acked: 10 * MSS, flightSize: 0, rtt: 100 });
    expect(cc.cwnd).toBe(18 * MSS); // + min(10, 8) segments
    sndUna = ISS + 10 * MSS;

    // Rounds of one window each, the RTT rising after the second: CSS, then congestion avoidance.
    let now = 100;
    for (let round = 0; round < 12 && cc.inSlowStart; round++) {
      const window = Math.floor(cc.cwnd / MSS);
      sndNxt = sndUna + window * MSS;
      cc.onDataSent({ now, bytes: window * MSS, sndUna, sndNxt, flightSize: window * MSS });
      const rtt = round < 2 ? 100 : 130;
      for (let i = 1; i <= window; i++) {
        now += 1;
        cc.onAck({ now, ackNo: sndUna + i * MSS, sndNxt, acked: MSS, flightSize: (window - i) * MSS, rtt });
      }
      sndUna = sndNxt;
    }
    expect(cc.inSlowStart).toBe(false);
    const exit = changes.find((c) => c.cause === 'slow-start-exit');
    expect(exit).toBeDefined();
    expect(exit!.ssthresh).toBe(exit!.cwnd);
    expect(exit!.previous.ssthresh).toBe(Number.POSITIVE_INFINITY);
  });

  it('CUBIC with HyStart++ turns Linux\'s HyStart off', () => {
    const cc = createCongestionControl('cubic', MSS, { slowStartExit: 'hystart++' });
    cc.onEstablished({ now: 0, sndNxt: ISS });
    expect(cc.snapshot().algorithm).toMatchObject({ hystartPlusPlusCss: false });
  });
});
