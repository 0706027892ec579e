import { describe, expect, it } from 'vitest';
import {
  createCongestionControl,
  createNewReno,
  INFINITE_SSTHRESH,
  Reno,
  tcpCongAvoidAi,
  tcpSlowStart,
  type CongestionControl,
  type CongestionWindow,
} from '../../../../src/tcp/congestion/index.js';
import { Sim } from './sim.js';

const MSS = 1000;
const ISS = 1000;

/** Established, with `segments` full segments sent (so cwnd is the limit when they fill it). */
function sending(cc: CongestionControl, segments: number, sndUna = ISS): number {
  const sndNxt = sndUna + segments * MSS;
  cc.onDataSent({ now: 0, bytes: segments * MSS, sndUna, sndNxt, flightSize: segments * MSS });
  return sndNxt;
}

describe('initial window (RFC 6928, Linux TCP_INIT_CWND)', () => {
  it('is 10 segments, with ssthresh "arbitrarily high"', () => {
    const cc = createNewReno({ mss: MSS });
    cc.onEstablished({ now: 0, sndNxt: ISS });
    expect(cc.cwnd).toBe(10 * MSS);
    expect(cc.ssthresh).toBe(INFINITE_SSTHRESH);
    expect(cc.caState).toBe('open');
    expect(cc.inSlowStart).toBe(true);
  });

  it('drops to one segment after a lossy handshake: Linux waits for a second SYN retransmission', () => {
    const once = createNewReno({ mss: MSS });
    once.onEstablished({ now: 0, sndNxt: ISS, handshakeRetransmits: 1 });
    expect(once.cwnd).toBe(10 * MSS);
    const twice = createNewReno({ mss: MSS });
    twice.onEstablished({ now: 0, sndNxt: ISS, handshakeRetransmits: 2 });
    expect(twice.cwnd).toBe(MSS);
  });

  it('is configurable, and mss must be a positive integer', () => {
    const cc = createNewReno({ mss: 1460, initialWindow: 4 });
    expect(cc.cwnd).toBe(4 * 1460);
    expect(() => createNewReno({ mss: 0 })).toThrow(RangeError);
    expect(() => createNewReno({ mss: 1.5 })).toThrow(RangeError);
  });
});

describe('slow start (RFC 5681 §3.1, Linux tcp_slow_start)', () => {
  it('grows by the bytes acknowledged, a stretch ACK included (no L limit, as Linux)', () => {
    const cc = createNewReno({ mss: MSS });
    cc.onEstablished({ now: 0, sndNxt: ISS });
    const sndNxt = sending(cc, 10);
    cc.onAck({ now: 100, ackNo: ISS + 2 * MSS, sndNxt, acked: 2 * MSS, flightSize: 8 * MSS });
    expect(cc.cwnd).toBe(12 * MSS);
  });

  it('does not grow a window the sender does not use (Linux tcp_is_cwnd_limited)', () => {
    const cc = createNewReno({ mss: MSS });
    cc.onEstablished({ now: 0, sndNxt: ISS });
    const sndNxt = sending(cc, 2); // 2 of 10 segments: application-limited
    cc.onAck({ now: 100, ackNo: ISS + 2 * MSS, sndNxt, acked: 2 * MSS, flightSize: 0 });
    expect(cc.cwnd).toBe(10 * MSS);
    // In slow start, up to twice the largest flight is allowed: 6 segments sent, cwnd 10 < 12.
    const cc2 = createNewReno({ mss: MSS });
    cc2.onEstablished({ now: 0, sndNxt: ISS });
    const n2 = sending(cc2, 6);
    cc2.onAck({ now: 100, ackNo: ISS + MSS, sndNxt: n2, acked: MSS, flightSize: 5 * MSS });
    expect(cc2.cwnd).toBe(11 * MSS);
  });

  it('stops at ssthresh and hands the rest to congestion avoidance', () => {
    const w: CongestionWindow = { cwnd: 8 * MSS, ssthresh: 9 * MSS, cwndCnt: 0, mss: MSS };
    expect(tcpSlowStart(w, 3 * MSS)).toBe(2 * MSS);
    expect(w.cwnd).toBe(9 * MSS);
  });

  it('doubles cwnd every round trip on an ACK-clocked path', () => {
    const sim = new Sim(createNewReno({ mss: MSS }), { rtt: 100 });
    const cwnds: number[] = [];
    for (let round = 1; round <= 4; round++) {
      sim.run(round * 100);
      cwnds.push(sim.cc.cwnd / MSS);
    }
    expect(cwnds).toEqual([20, 40, 80, 160]);
  });
});

describe('congestion avoidance (RFC 5681 §3.1, RFC 3465 §2.1 byte counting)', () => {
  it('adds one SMSS per window of data acknowledged', () => {
    const w: CongestionWindow = { cwnd: 10 * MSS, ssthresh: 10 * MSS, cwndCnt: 0, mss: MSS };
    const reno = new Reno();
    for (let i = 0; i < 9; i++) reno.congAvoid(w, MSS);
    expect(w.cwnd).toBe(10 * MSS);
    reno.congAvoid(w, MSS);
    expect(w.cwnd).toBe(11 * MSS);
    expect(w.cwndCnt).toBe(0);
  });

  it('tcp_cong_avoid_ai: several segments from one large ACK, and credit from a larger window applied gently', () => {
    const w: CongestionWindow = { cwnd: 10 * MSS, ssthresh: 0, cwndCnt: 0, mss: MSS };
    tcpCongAvoidAi(w, 10 * MSS, 25 * MSS);
    expect(w.cwnd).toBe(12 * MSS);
    expect(w.cwndCnt).toBe(5 * MSS);
    tcpCongAvoidAi(w, 4 * MSS, 0); // credit 5 SMSS already above the new per (4): one SMSS
    expect(w.cwnd).toBe(13 * MSS);
    expect(w.cwndCnt).toBe(0);
  });

  it('grows linearly past ssthresh, one segment per round trip, on an ACK-clocked path', () => {
    const cc = createNewReno({ mss: MSS });
    const sim = new Sim(cc, { rtt: 100 });
    // A timeout before any data: ssthresh = 10 / 2 = 5 segments, cwnd = 1 (RFC 5681 §3.1).
    cc.onRetransmissionTimeout({ now: 0, sndUna: ISS, sndNxt: ISS, flightSize: 0 });
    expect([cc.cwnd, cc.ssthresh]).toEqual([MSS, 5 * MSS]);
    const cwnds: number[] = [];
    for (let round = 1; round <= 7; round++) {
      sim.run(round * 100);
      cwnds.push(cc.cwnd / MSS);
    }
    // Slow start 1, 2, 4, then 5 = ssthresh; from there 3 SMSS of credit carry over and each
    // window adds one segment.
    expect(cwnds).toEqual([2, 4, 5, 6, 7, 8, 9]);
  });
});

describe('multiplicative decrease (RFC 5681 eq. 4, Linux tcp_reno_ssthresh)', () => {
  it('halves cwnd in whole segments, at least 2', () => {
    const reno = new Reno();
    expect(reno.ssthresh({ cwnd: 20 * MSS, ssthresh: 0, cwndCnt: 0, mss: MSS })).toBe(10 * MSS);
    expect(reno.ssthresh({ cwnd: 21 * MSS + 500, ssthresh: 0, cwndCnt: 0, mss: MSS })).toBe(10 * MSS);
    expect(reno.ssthresh({ cwnd: 3 * MSS, ssthresh: 0, cwndCnt: 0, mss: MSS })).toBe(2 * MSS);
    expect(reno.ssthresh({ cwnd: MSS, ssthresh: 0, cwndCnt: 0, mss: MSS })).toBe(2 * MSS);
  });
});

describe('the factory', () => {
  it('defaults to CUBIC, knows newreno and Linux\'s "reno", rejects the rest', () => {
    expect(createCongestionControl(undefined, MSS).name).toBe('cubic');
    expect(createCongestionControl('newreno', MSS).name).toBe('newreno');
    expect(createCongestionControl('reno', MSS).name).toBe('newreno');
    expect(() => createCongestionControl('bbr' as 'cubic', MSS)).toThrow(RangeError);
  });
});
