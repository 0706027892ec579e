import { describe, expect, it } from 'vitest';
import {
  createCongestionControl,
  createNewReno,
  prrSendCount,
  type AckVerdict,
  type CongestionChange,
  type CongestionControl,
  type RecoveryWindow,
} from '../../../../src/tcp/congestion/index.js';
import { Sim } from './sim.js';

const MSS = 1000;
const ISS = 1000;

/** A NewReno sender, established, with 10 segments out: [ISS, ISS + 10000). */
function tenOut(recoveryWindow: RecoveryWindow, onChange?: (c: CongestionChange) => void): { cc: CongestionControl; sndNxt: number } {
  const cc = createNewReno({ mss: MSS, recoveryWindow, ...(onChange ? { onChange } : {}) });
  cc.onEstablished({ now: 0, sndNxt: ISS });
  const sndNxt = ISS + 10 * MSS;
  cc.onDataSent({ now: 0, bytes: 10 * MSS, sndUna: ISS, sndNxt, flightSize: 10 * MSS });
  return { cc, sndNxt };
}

function dup(cc: CongestionControl, sndNxt: number, flightSize: number, now = 100): AckVerdict {
  return cc.onDupAck({ now, ackNo: ISS, sndNxt, flightSize });
}

describe('fast retransmit (RFC 5681 §3.2) and limited transmit (RFC 3042)', () => {
  it('the first two duplicate ACKs: disorder, and one new segment each', () => {
    const { cc, sndNxt } = tenOut('prr');
    expect(dup(cc, sndNxt, 10 * MSS)).toBe('none');
    expect(cc.caState).toBe('disorder');
    expect(cc.cwnd).toBe(10 * MSS);
    expect(cc.sendQuota({ flightSize: 10 * MSS })).toBe(MSS);
    expect(dup(cc, sndNxt, 10 * MSS)).toBe('none');
    expect(cc.sendQuota({ flightSize: 10 * MSS })).toBe(2 * MSS);
  });

  it('the third: fast retransmit, ssthresh halved once, recover = SND.NXT', () => {
    const { cc, sndNxt } = tenOut('prr');
    dup(cc, sndNxt, 10 * MSS);
    dup(cc, sndNxt, 10 * MSS);
    expect(dup(cc, sndNxt, 10 * MSS)).toBe('fast-retransmit');
    expect(cc.caState).toBe('recovery');
    expect(cc.ssthresh).toBe(5 * MSS);
    expect(cc.recover).toBe(sndNxt);
    for (let i = 0; i < 5; i++) expect(dup(cc, sndNxt, 10 * MSS)).toBe('none');
    expect(cc.ssthresh).toBe(5 * MSS); // one reduction per window
  });

  it('a loss the SACK scoreboard detects enters recovery without waiting for three', () => {
    const cc = createNewReno({ mss: MSS });
    cc.onEstablished({ now: 0, sndNxt: ISS, sack: true });
    const sndNxt = ISS + 10 * MSS;
    cc.onDataSent({ now: 0, bytes: 10 * MSS, sndUna: ISS, sndNxt, flightSize: 10 * MSS, pipe: 10 * MSS });
    const v = cc.onDupAck({ now: 10, ackNo: ISS, sndNxt, flightSize: 10 * MSS, pipe: 8 * MSS, delivered: MSS, lossDetected: true });
    expect(v).toBe('fast-retransmit');
    expect(cc.pipe({ flightSize: 10 * MSS, pipe: 8 * MSS })).toBe(8 * MSS);
  });
});

describe('NewReno with PRR (RFC 6582 + RFC 6937, as Linux)', () => {
  it('one loss: PRR paces the window down to ssthresh; the full ACK ends recovery at ssthresh', () => {
    const { cc, sndNxt } = tenOut('prr');
    dup(cc, sndNxt, 10 * MSS);
    dup(cc, sndNxt, 10 * MSS);
    dup(cc, sndNxt, 10 * MSS);
    // pipe = 10 − 3 dupacks − the lost head = 6; ceil(1 × 5/10) = 1 segment: the retransmission.
    expect(cc.cwnd).toBe(7 * MSS);
    expect(cc.sendQuota({ flightSize: 10 * MSS })).toBe(MSS);
    cc.onDataSent({ now: 100, bytes: MSS, retransmission: true, sndUna: ISS, sndNxt, flightSize: 10 * MSS });
    expect(cc.sendQuota({ flightSize: 10 * MSS })).toBe(0);

    let flight = 10 * MSS;
    let next = sndNxt;
    const cwnds: number[] = [];
    for (let d = 4; d <= 9; d++) {
      dup(cc, next, flight);
      cwnds.push(cc.cwnd / MSS);
      const quota = cc.sendQuota({ flightSize: flight });
      if (quota > 0) {
        next += MSS;
        flight += MSS;
        cc.onDataSent({ now: 100, bytes: MSS, sndUna: ISS, sndNxt: next, flightSize: flight });
      }
    }
    // pipe > ssthresh: proportional (0, then 0); pipe <= ssthresh: the reduction bound keeps
    // pipe at ssthresh, one new segment per ACK.
    expect(cwnds).toEqual([6, 5, 5, 5, 5, 5]);
    expect(next - sndNxt).toBe(4 * MSS);

    // The retransmission arrives: everything up to recover is ACKed.
    const v = cc.onAck({ now: 200, ackNo: sndNxt, sndNxt: next, acked: 10 * MSS, flightSize: flight - 10 * MSS });
    expect(v).toBe('recovery-complete');
    expect(cc.caState).toBe('open');
    expect(cc.cwnd).toBe(5 * MSS);
  });

  it('two losses in one window: a partial ACK keeps recovery going and asks for the next hole', () => {
    const { cc, sndNxt } = tenOut('prr');
    for (let i = 0; i < 3; i++) dup(cc, sndNxt, 10 * MSS);
    cc.onDataSent({ now: 100, bytes: MSS, retransmission: true, sndUna: ISS, sndNxt, flightSize: 10 * MSS });
    const cwnds: number[] = [];
    for (let i = 0; i < 5; i++) {
      dup(cc, sndNxt, 10 * MSS);
      cwnds.push(cc.cwnd / MSS);
    }
    expect(cwnds).toEqual([6, 5, 5, 5, 5]);
    // Segments 0-3 are now in: a partial ACK (RFC 6582 §3.2 step 4).
    const partial = cc.onAck({ now: 200, ackNo: ISS + 4 * MSS, sndNxt, acked: 4 * MSS, flightSize: 6 * MSS });
    expect(partial).toBe('partial-ack');
    expect(cc.caState).toBe('recovery');
    expect(cc.ssthresh).toBe(5 * MSS);
    // pipe = 6 − 5 remaining dupacks − the new lost head = 0; the reduction bound allows ssthresh.
    expect(cc.cwnd).toBe(5 * MSS);
    expect(cc.sendQuota({ flightSize: 6 * MSS })).toBe(5 * MSS);
    cc.onDataSent({ now: 200, bytes: MSS, retransmission: true, sndUna: ISS + 4 * MSS, sndNxt, flightSize: 6 * MSS });
    expect(cc.pipe({ flightSize: 6 * MSS })).toBe(MSS);
    const full = cc.onAck({ now: 300, ackNo: sndNxt, sndNxt, acked: 6 * MSS, flightSize: 0 });
    expect(full).toBe('recovery-complete');
    expect(cc.cwnd).toBe(5 * MSS);
    expect(cc.ssthresh).toBe(5 * MSS);
  });

  it('on a path: fast-retransmit, partial-ack, recovery-complete, no timeout', () => {
    const lost = new Set([ISS + 20 * MSS, ISS + 24 * MSS]);
    const sim = new Sim(createNewReno({ mss: MSS }), { rtt: 100, drop: (seq, n) => n === 1 && lost.has(seq) });
    sim.run(2000);
    const verdicts = sim.verdicts.map((v) => v.verdict).filter((v) => v !== 'none');
    expect(verdicts).toEqual(['fast-retransmit', 'partial-ack', 'recovery-complete']);
    expect(sim.timeouts).toBe(0);
    expect(sim.retransmissions).toBe(2);
    expect(sim.cc.caState).toBe('open');
  });
});

describe('NewReno with window inflation (RFC 5681 §3.2, RFC 6582 §3.2)', () => {
  it('ssthresh + 3, +1 per duplicate, deflation on the partial ACK, min(ssthresh, FlightSize + 1) at the end', () => {
    const { cc, sndNxt } = tenOut('newreno');
    dup(cc, sndNxt, 10 * MSS);
    dup(cc, sndNxt, 10 * MSS);
    expect(dup(cc, sndNxt, 10 * MSS)).toBe('fast-retransmit');
    expect(cc.ssthresh).toBe(5 * MSS);
    expect(cc.cwnd).toBe(8 * MSS); // step 3: ssthresh + 3·SMSS
    expect(cc.sendQuota({ flightSize: 10 * MSS })).toBe(0); // cwnd − FlightSize
    const cwnds: number[] = [];
    for (let i = 0; i < 5; i++) {
      dup(cc, sndNxt, 10 * MSS);
      cwnds.push(cc.cwnd / MSS);
    }
    expect(cwnds).toEqual([9, 10, 11, 12, 13]); // step 4: + SMSS per further duplicate
    expect(cc.sendQuota({ flightSize: 10 * MSS })).toBe(3 * MSS);

    // Partial ACK of 4 segments: deflate by 4, add back 1.
    expect(cc.onAck({ now: 200, ackNo: ISS + 4 * MSS, sndNxt, acked: 4 * MSS, flightSize: 6 * MSS })).toBe('partial-ack');
    expect(cc.cwnd).toBe(10 * MSS);
    // Full ACK with nothing left in flight: option (1), min(ssthresh, max(FlightSize, SMSS) + SMSS).
    expect(cc.onAck({ now: 300, ackNo: sndNxt, sndNxt, acked: 6 * MSS, flightSize: 0 })).toBe('recovery-complete');
    expect(cc.cwnd).toBe(2 * MSS);
    const { cc: busy, sndNxt: n2 } = tenOut('newreno');
    for (let i = 0; i < 3; i++) dup(busy, n2, 10 * MSS);
    busy.onAck({ now: 300, ackNo: n2, sndNxt: n2 + 8 * MSS, acked: 10 * MSS, flightSize: 8 * MSS });
    expect(busy.cwnd).toBe(5 * MSS); // min(ssthresh, 8 + 1)
  });

  it('on a path, the same verdicts', () => {
    const lost = new Set([ISS + 20 * MSS, ISS + 24 * MSS]);
    const sim = new Sim(createNewReno({ mss: MSS, recoveryWindow: 'newreno' }), { rtt: 100, drop: (seq, n) => n === 1 && lost.has(seq) });
    sim.run(2000);
    expect(sim.verdicts.map((v) => v.verdict).filter((v) => v !== 'none')).toEqual(['fast-retransmit', 'partial-ack', 'recovery-complete']);
    expect(sim.timeouts).toBe(0);
  });
});

describe('recover: no second fast retransmit for the same window (RFC 6582 §3.2 step 1)', () => {
  it('duplicate ACKs for `recover` itself are ignored; beyond it, a new loss is a new recovery', () => {
    const { cc, sndNxt } = tenOut('prr');
    for (let i = 0; i < 3; i++) dup(cc, sndNxt, 10 * MSS);
    const next = sndNxt + 5 * MSS;
    cc.onAck({ now: 200, ackNo: sndNxt, sndNxt: next, acked: 10 * MSS, flightSize: 5 * MSS });
    expect(cc.caState).toBe('open');
    const ssthresh = cc.ssthresh;
    // Three duplicates of ACK = recover: they may come from the retransmissions themselves.
    for (let i = 0; i < 4; i++) expect(cc.onDupAck({ now: 210, ackNo: sndNxt, sndNxt: next, flightSize: 5 * MSS })).toBe('none');
    expect(cc.ssthresh).toBe(ssthresh);
    // Once the cumulative ACK passes recover, three duplicates mean a new loss.
    cc.onAck({ now: 300, ackNo: sndNxt + MSS, sndNxt: next, acked: MSS, flightSize: 4 * MSS });
    const verdicts = [1, 2, 3].map(() => cc.onDupAck({ now: 310, ackNo: sndNxt + MSS, sndNxt: next, flightSize: 4 * MSS }));
    expect(verdicts).toEqual(['none', 'none', 'fast-retransmit']);
    expect(cc.recover).toBe(next);
  });
});

describe('retransmission timeout (RFC 5681 §3.1, RFC 6582 step 5, Linux tcp_enter_loss)', () => {
  it('loss window of one segment, ssthresh from the window, recover = SND.NXT', () => {
    const { cc, sndNxt } = tenOut('prr');
    cc.onRetransmissionTimeout({ now: 1000, sndUna: ISS, sndNxt, flightSize: 10 * MSS });
    expect(cc.cwnd).toBe(MSS);
    expect(cc.ssthresh).toBe(5 * MSS);
    expect(cc.caState).toBe('loss');
    expect(cc.recover).toBe(sndNxt);
    // Everything outstanding is presumed lost: one segment may go.
    expect(cc.sendQuota({ flightSize: 10 * MSS })).toBe(MSS);
  });

  it('backing off on the same data does not reduce ssthresh again', () => {
    const { cc, sndNxt } = tenOut('prr');
    cc.onRetransmissionTimeout({ now: 1000, sndUna: ISS, sndNxt, flightSize: 10 * MSS });
    cc.onRetransmissionTimeout({ now: 3000, sndUna: ISS, sndNxt, flightSize: 10 * MSS });
    cc.onRetransmissionTimeout({ now: 7000, sndUna: ISS, sndNxt, flightSize: 10 * MSS });
    expect(cc.ssthresh).toBe(5 * MSS);
    expect(cc.cwnd).toBe(MSS);
  });

  it('a timeout after some progress within the lost window reduces again (Linux: icsk_retransmits == 0)', () => {
    const { cc, sndNxt } = tenOut('prr');
    cc.onRetransmissionTimeout({ now: 1000, sndUna: ISS, sndNxt, flightSize: 10 * MSS });
    cc.onDataSent({ now: 1000, bytes: MSS, retransmission: true, sndUna: ISS, sndNxt, flightSize: 10 * MSS });
    cc.onAck({ now: 1100, ackNo: ISS + MSS, sndNxt, acked: MSS, flightSize: 9 * MSS });
    expect(cc.cwnd).toBe(2 * MSS); // slow start again from the loss window
    cc.onRetransmissionTimeout({ now: 2500, sndUna: ISS + MSS, sndNxt, flightSize: 9 * MSS });
    expect(cc.ssthresh).toBe(2 * MSS); // max(2 / 2, 2) segments
  });

  it('a timeout during fast recovery keeps the reduction already made for this window', () => {
    const { cc, sndNxt } = tenOut('prr');
    for (let i = 0; i < 3; i++) dup(cc, sndNxt, 10 * MSS);
    expect(cc.ssthresh).toBe(5 * MSS);
    cc.onRetransmissionTimeout({ now: 1000, sndUna: ISS, sndNxt, flightSize: 10 * MSS });
    expect(cc.ssthresh).toBe(5 * MSS);
    expect(cc.caState).toBe('loss');
  });

  it('no fast retransmit before the timed-out window is acknowledged; then back to open', () => {
    const { cc, sndNxt } = tenOut('prr');
    cc.onRetransmissionTimeout({ now: 1000, sndUna: ISS, sndNxt, flightSize: 10 * MSS });
    for (let i = 0; i < 5; i++) expect(dup(cc, sndNxt, 10 * MSS)).toBe('none');
    expect(cc.caState).toBe('loss');
    expect(cc.onAck({ now: 1200, ackNo: ISS + 5 * MSS, sndNxt, acked: 5 * MSS, flightSize: 5 * MSS })).toBe('none');
    expect(cc.onAck({ now: 1300, ackNo: sndNxt, sndNxt, acked: 5 * MSS, flightSize: 0 })).toBe('recovery-complete');
    expect(cc.caState).toBe('open');
  });

  it('the pipe estimate after a timeout: retransmitted bytes count, presumed-lost ones do not', () => {
    const { cc, sndNxt } = tenOut('prr');
    cc.onRetransmissionTimeout({ now: 1000, sndUna: ISS, sndNxt, flightSize: 10 * MSS });
    expect(cc.pipe({ flightSize: 10 * MSS })).toBe(0);
    cc.onDataSent({ now: 1000, bytes: MSS, retransmission: true, sndUna: ISS, sndNxt, flightSize: 10 * MSS });
    expect(cc.pipe({ flightSize: 10 * MSS })).toBe(MSS);
    cc.onAck({ now: 1100, ackNo: ISS + MSS, sndNxt, acked: MSS, flightSize: 9 * MSS });
    expect(cc.pipe({ flightSize: 9 * MSS })).toBe(0);
    expect(cc.sendQuota({ flightSize: 9 * MSS })).toBe(2 * MSS);
  });

  it('on a path where a whole flight is lost: one timeout, then slow start from one segment', () => {
    const sim = new Sim(createNewReno({ mss: MSS }), { rtt: 100, drop: (_seq, n, at) => n === 1 && at >= 300 && at < 400 });
    sim.run(3000);
    expect(sim.timeouts).toBe(1);
    expect(sim.cc.ssthresh).toBe(40 * MSS);
    expect(sim.cc.caState).toBe('open');
    expect(sim.cc.cwnd).toBeGreaterThan(MSS);
  });
});

describe('restart after idle (RFC 5681 §4.1 as Linux tcp_cwnd_restart)', () => {
  function grown(): CongestionControl {
    const cc = createNewReno({ mss: MSS, initialWindow: 10 });
    cc.onEstablished({ now: 0, sndNxt: ISS });
    const sndNxt = ISS + 40 * MSS;
    cc.onDataSent({ now: 0, bytes: 40 * MSS, sndUna: ISS, sndNxt, flightSize: 40 * MSS });
    cc.onAck({ now: 100, ackNo: ISS + 30 * MSS, sndNxt, acked: 30 * MSS, flightSize: 10 * MSS }); // cwnd 40
    cc.onDataSent({ now: 100, bytes: 0, sndUna: ISS + 30 * MSS, sndNxt, flightSize: 10 * MSS });
    return cc;
  }

  it('halves cwnd per RTO of idleness down to min(IW, cwnd), saving 3/4 of cwnd in ssthresh', () => {
    const cc = grown();
    expect(cc.cwnd).toBe(40 * MSS);
    expect(cc.restartAfterIdle({ now: 100 + 3500, rto: 1000, flightSize: 0 })).toBe(true);
    expect(cc.cwnd).toBe(10 * MSS);
    expect(cc.ssthresh).toBe(Number.POSITIVE_INFINITY); // max(infinity, 30)
    const short = grown();
    short.restartAfterIdle({ now: 100 + 1500, rto: 1000, flightSize: 0 });
    expect(short.cwnd).toBe(20 * MSS);
  });

  it('keeps ssthresh at least 3/4 of the old window', () => {
    const cc = grown();
    cc.onRetransmissionTimeout({ now: 150, sndUna: ISS + 30 * MSS, sndNxt: ISS + 40 * MSS, flightSize: 10 * MSS });
    expect(cc.ssthresh).toBe(20 * MSS);
    cc.onAck({ now: 200, ackNo: ISS + 40 * MSS, sndNxt: ISS + 40 * MSS, acked: 10 * MSS, flightSize: 0 });
    cc.onDataSent({ now: 200, bytes: 0, sndUna: ISS + 40 * MSS, sndNxt: ISS + 40 * MSS, flightSize: 0 });
    expect(cc.restartAfterIdle({ now: 5000, rto: 1000, flightSize: 0 })).toBe(true);
    expect(cc.ssthresh).toBe(20 * MSS); // max(20, 3/4 × cwnd)
  });

  it('not within one RTO, not with data in flight, not when disabled', () => {
    expect(grown().restartAfterIdle({ now: 1100, rto: 1000, flightSize: 0 })).toBe(false);
    expect(grown().restartAfterIdle({ now: 9000, rto: 1000, flightSize: MSS })).toBe(false);
    const off = createNewReno({ mss: MSS, tcpSlowStartAfterIdle: false });
    off.onEstablished({ now: 0, sndNxt: ISS });
    expect(off.restartAfterIdle({ now: 9000, rto: 1000, flightSize: 0 })).toBe(false);
  });

  it('through the simulator: a write after a long pause starts from the restart window', () => {
    const sim = new Sim(createNewReno({ mss: MSS }), { rtt: 100, appLimit: 200 * MSS });
    sim.run(1000);
    expect(sim.cc.cwnd).toBeGreaterThan(100 * MSS);
    sim.run(10_000);
    sim.write(100 * MSS);
    expect(sim.cc.cwnd).toBe(10 * MSS);
  });
});

describe('PRR arithmetic (RFC 6937 §3, Linux tcp_cwnd_reduction)', () => {
  const base = { ssthresh: 10 * MSS, priorCwnd: 20 * MSS, mss: MSS, newlyLost: 0, sndUnaAdvanced: false };

  it('proportional part: ssthresh/RecoverFS of what is delivered, whole segments, one forced at the start', () => {
    expect(prrSendCount({ ...base, prrDelivered: MSS, prrOut: 0, pipe: 18 * MSS, delivered: MSS })).toBe(MSS);
    expect(prrSendCount({ ...base, prrDelivered: 2 * MSS, prrOut: MSS, pipe: 17 * MSS, delivered: MSS })).toBe(0);
    expect(prrSendCount({ ...base, prrDelivered: 3 * MSS, prrOut: MSS, pipe: 16 * MSS, delivered: MSS })).toBe(MSS);
  });

  it('sends about ssthresh/priorCwnd of the delivered data while pipe is above ssthresh', () => {
    let prrDelivered = 0;
    let prrOut = 0;
    let pipe = 19 * MSS;
    for (let ack = 0; ack < 16; ack++) {
      prrDelivered += MSS;
      pipe -= MSS;
      const sndcnt = prrSendCount({ ...base, prrDelivered, prrOut, pipe, delivered: MSS });
      prrOut += sndcnt;
      pipe += sndcnt;
    }
    expect(prrOut).toBe(8 * MSS); // half of 16
    expect(pipe).toBe(11 * MSS);
  });

  it('reduction bound once pipe is at or below ssthresh: no more than ssthresh − pipe', () => {
    expect(prrSendCount({ ...base, prrDelivered: 10 * MSS, prrOut: 4 * MSS, pipe: 9 * MSS, delivered: MSS })).toBe(MSS);
    expect(prrSendCount({ ...base, prrDelivered: 10 * MSS, prrOut: 4 * MSS, pipe: 2 * MSS, delivered: MSS })).toBe(6 * MSS);
    // slow-start reduction bound: one more segment when SND.UNA advanced and nothing was newly lost
    expect(prrSendCount({ ...base, prrDelivered: 5 * MSS, prrOut: 4 * MSS, pipe: 2 * MSS, delivered: MSS, sndUnaAdvanced: true })).toBe(2 * MSS);
    expect(prrSendCount({ ...base, prrDelivered: 5 * MSS, prrOut: 4 * MSS, pipe: 2 * MSS, delivered: MSS, sndUnaAdvanced: true, newlyLost: MSS })).toBe(MSS);
  });
});

describe('the trace', () => {
  it('reports every change of cwnd, ssthresh or state with its cause', () => {
    const changes: CongestionChange[] = [];
    const { cc, sndNxt } = tenOut('prr', (c) => changes.push(c));
    dup(cc, sndNxt, 10 * MSS);
    dup(cc, sndNxt, 10 * MSS);
    dup(cc, sndNxt, 10 * MSS);
    cc.onAck({ now: 200, ackNo: sndNxt, sndNxt, acked: 10 * MSS, flightSize: 0 });
    cc.onRetransmissionTimeout({ now: 5000, sndUna: sndNxt, sndNxt: sndNxt + MSS, flightSize: MSS });
    // Establishing left cwnd at the initial window: no change, no report.
    expect(changes.map((c) => c.cause)).toEqual(['disorder', 'enter-recovery', 'exit-recovery', 'timeout']);
    expect(changes[1]).toMatchObject({ cwnd: 7 * MSS, ssthresh: 5 * MSS, caState: 'recovery', previous: { cwnd: 10 * MSS, caState: 'disorder' } });
    expect(changes[3]).toMatchObject({ now: 5000, cwnd: MSS, caState: 'loss' });
  });

  it('snapshots the state for ss -i', () => {
    const cc = createCongestionControl('cubic', 1460);
    cc.onEstablished({ now: 0, sndNxt: ISS });
    expect(cc.snapshot()).toMatchObject({ name: 'cubic', mss: 1460, cwnd: 14_600, caState: 'open', inSlowStart: true, cwndLimited: false });
    expect(cc.snapshot().algorithm).toHaveProperty('wMax', 0);
  });
});
