import { describe, expect, test } from 'vitest';
import { dataRetransmitBudget } from '../../../src/tcp/timing/index.js';
import { established, IRS, ISS, synSent } from './harness/index.js';

describe('retransmission timeout (RFC 6298)', () => {
  test('(5.1) the timer starts with the first data segment; (5.2) stops when all is ACKed', () => {
    const r = established({ config: { tcpTimestamps: false } });
    expect(r.c.nextDeadline()).toBeUndefined();
    r.write(100);
    expect(r.c.nextDeadline()).toBe(r.now + r.c.rto);
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 101 });
    expect(r.c.nextDeadline()).toBeUndefined();
  });

  test('(5.4)-(5.6) the earliest unACKed segment is resent and the RTO doubles each time', () => {
    const r = established({ config: { tcpTimestamps: false }, sackOK: false });
    const rto = r.c.rto;
    r.write(100);
    r.out();
    r.advance(rto);
    r.expectSegments(['Flags [P.], seq 1001:1101, ack 5001, win 502, length 100']);
    r.advance(2 * rto - 1);
    r.expectNothing();
    r.advance(1);
    expect(r.out()).toHaveLength(1);
    r.advance(4 * rto);
    expect(r.out()).toHaveLength(1);
    const rtx = r.events.filter((e) => e.type === 'retransmission');
    expect(rtx.map((e) => (e.type === 'retransmission' ? e.attempt : 0))).toEqual([1, 2, 3]);
    expect(rtx.map((e) => (e.type === 'retransmission' ? e.rto : 0))).toEqual([rto, 2 * rto, 4 * rto]);
    expect(r.c.counters.retransSegs).toBe(3);
  });

  test('go-back-N: after a timeout one segment goes (cwnd 1), then more as ACKs return', () => {
    const r = established({ config: { tcpTimestamps: false }, sackOK: false });
    r.write(5 * 1460);
    expect(r.out()).toHaveLength(5);
    r.advance(r.c.rto);
    expect(r.out()).toEqual(['Flags [.], seq 1001:2461, ack 5001, win 502, length 1460']);
    expect(r.c.cwnd).toBe(1460);
    expect(r.c.sndNxt).toBe(ISS + 1461);
    expect(r.c.sndMax).toBe(ISS + 1 + 5 * 1460);
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1461 });
    expect(r.out()).toHaveLength(2);
    // An ACK for everything (the originals had arrived) moves SND.NXT forward too.
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1 + 5 * 1460 });
    expect(r.c.sndNxt).toBe(ISS + 1 + 5 * 1460);
    expect(r.c.nextDeadline()).toBeUndefined();
  });

  test('tcp_retries2: ETIMEDOUT once the 924.6 s budget is spent, and no RST (Linux tcp_write_err)', () => {
    const r = established({ config: { tcpTimestamps: false } });
    r.write(100);
    r.out();
    r.advance(2_000_000);
    r.expectState('CLOSED');
    expect(r.c.error).toBe('ETIMEDOUT');
    const sent = r.log.slice(1);
    expect(sent.every((s) => (s.seg.flags & 0x04) === 0)).toBe(true);
    const firstRtx = sent[0]!.at;
    const closedAt = r.events.at(-1)!.at;
    expect(closedAt - firstRtx).toBeGreaterThanOrEqual(dataRetransmitBudget());
    // The RTO never exceeds rtoMax (120 s).
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.at - sent[i - 1]!.at).toBeLessThanOrEqual(120_000);
  });

  test('an ACK of new data resets the backoff count', () => {
    const r = established({ config: { tcpTimestamps: false } });
    r.write(3000);
    r.out();
    r.advance(r.c.rto);
    r.advance(r.c.rto);
    r.out();
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1461 });
    expect(r.c.nextDeadline()).toBe(r.now + r.c.rto);
  });

  test('Karn: no RTT sample from a retransmitted segment without timestamps', () => {
    const r = established({ config: { tcpTimestamps: false } });
    const samples = (): number => r.events.filter((e) => e.type === 'rtt-sample').length;
    const before = samples();
    r.write(100);
    r.advance(r.c.rto);
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 101 });
    expect(samples()).toBe(before);
    r.write(100);
    r.advance(50);
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 201 });
    expect(samples()).toBe(before + 1);
    expect(r.events.filter((e) => e.type === 'rtt-sample').at(-1)).toMatchObject({ rtt: 50 });
  });

  test('an RTT sample echoing a TSval from before the last timeout is ignored (RFC 3522 §2 test)', () => {
    const r = established({ timestamps: true, win: 502 });
    r.advance(100);
    r.write(100);
    r.advance(r.c.rto);
    r.out();
    const samples = r.events.filter((e) => e.type === 'rtt-sample').length;
    // The ACK echoes the TSval of the original transmission (before the timeout).
    r.advance(5000);
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 101, ts: [200, 100] });
    expect(r.events.filter((e) => e.type === 'rtt-sample').length).toBe(samples);
  });

  test('the RTO never goes below rtoMin', () => {
    const r = established({ config: { tcpTimestamps: false } });
    r.write(10);
    r.advance(1);
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 11 });
    expect(r.c.rto).toBeGreaterThanOrEqual(200);
  });
});

describe('fast retransmit and NewReno (RFC 5681 §3.2, RFC 6582)', () => {
  function lossAt1001() {
    const r = established({ config: { tcpTimestamps: false }, win: 502 });
    r.write(10 * 1460);
    r.out();
    return r;
  }

  test('three duplicate ACKs retransmit the first unACKed segment at once', () => {
    // RFC 5681's rule alone: RACK (tcp_recovery 1, test/unit/tcp/rack.test.ts) would call the
    // hole lost at the first SACK here, where the round trip takes no time.
    const r = established({ config: { tcpTimestamps: false, tcpRecovery: 0 }, win: 502 });
    r.write(10 * 1460);
    r.out();
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, sack: [[ISS + 1461, ISS + 2921]] });
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, sack: [[ISS + 1461, ISS + 4381]] });
    r.expectNothing();
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, sack: [[ISS + 1461, ISS + 5841]] });
    r.expectSegments(['Flags [.], seq 1001:2461, ack 5001, win 502, length 1460']);
    expect(r.c.counters.fastRetransmits).toBe(1);
    expect(r.c.ssthresh).toBe(7 * 1460); // CUBIC, β = 0.7 (Linux 717/1024), in whole segments
    expect(r.events.some((e) => e.type === 'retransmission' && e.kind === 'fast')).toBe(true);
  });

  test('NewReno halves: ssthresh = FlightSize / 2', () => {
    const r = established({ config: { tcpTimestamps: false, congestionControl: 'newreno' }, win: 502 });
    r.write(10 * 1460);
    r.out();
    for (let i = 0; i < 3; i++) r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1 });
    expect(r.out()).toEqual(['Flags [.], seq 1001:2461, ack 5001, win 502, length 1460']);
    expect(r.c.ssthresh).toBe(5 * 1460);
  });

  test('a duplicate ACK that changes the window does not count', () => {
    const r = lossAt1001();
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, win: 400 });
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, win: 401 });
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, win: 402 });
    r.expectNothing();
  });

  test('a partial ACK retransmits the next hole; a full ACK ends recovery', () => {
    const r = lossAt1001();
    for (let i = 0; i < 3; i++) r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1 });
    r.out();
    // Segments 1 and 3 were lost: the ACK after the retransmission stops at 3921.
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 2921 });
    expect(r.out()[0]).toBe('Flags [.], seq 3921:5381, ack 5001, win 502, length 1460');
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1 + 10 * 1460 });
    expect(r.events.some((e) => e.type === 'cwnd' && e.cause === 'exit-recovery')).toBe(true);
    expect(r.c.nextDeadline()).toBeUndefined();
  });
});

describe('zero window and the persist timer', () => {
  function zeroWindow() {
    const r = established({ config: { tcpTimestamps: false } });
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, win: 0 });
    r.write(1000);
    return r;
  }

  test('nothing is sent into a zero window; the persist timer probes with SND.UNA − 1 (Linux tcp_xmit_probe_skb)', () => {
    const r = zeroWindow();
    r.expectNothing();
    const rto = r.c.rto;
    expect(r.c.nextDeadline()).toBe(r.now + rto);
    r.advance(rto);
    r.expectSegments(['Flags [.], seq 1000, ack 5001, win 502, length 0'.replace('seq 1000, ', '')]);
    expect(r.log.at(-1)!.seg.seq).toBe(ISS);
    // Probes back off exponentially.
    r.advance(2 * rto - 1);
    r.expectNothing();
    r.advance(1);
    expect(r.out()).toHaveLength(1);
    expect(r.c.counters.windowProbes).toBe(2);
  });

  test('a window update releases the data and stops probing', () => {
    const r = zeroWindow();
    r.advance(r.c.rto);
    r.out();
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, win: 502 });
    r.expectSegments(['Flags [P.], seq 1001:2001, ack 5001, win 502, length 1000']);
  });

  test('a small window opening is probed with as much as fits (tcp_write_wakeup)', () => {
    const r = established({ config: { tcpTimestamps: false }, wscale: null });
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, win: 100 });
    r.write(1000);
    r.expectNothing();
    r.advance(r.c.rto);
    r.expectSegments(['Flags [.], seq 1001:1101, ack 5001, win 64240, length 100']);
    // That data is covered by the retransmission timer from now on (found by the wire fuzzer).
    const rto = r.c.rto;
    expect(r.c.nextDeadline()).toBe(r.now + rto);
    r.advance(rto);
    r.expectSegments(['Flags [.], seq 1001:1101, ack 5001, win 64240, length 100']);
  });

  test('unanswered probes give up with ETIMEDOUT after tcp_retries2', () => {
    const r = zeroWindow();
    r.advance(10_000_000);
    r.expectState('CLOSED');
    expect(r.c.error).toBe('ETIMEDOUT');
    expect(r.c.counters.windowProbes).toBe(15);
  });

  test('probes answered with a zero window keep the connection alive', () => {
    const r = zeroWindow();
    for (let i = 0; i < 30; i++) {
      r.advance(r.c.nextDeadline()! - r.now);
      r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, win: 0 });
    }
    r.expectState('ESTABLISHED');
  });
});

describe('keepalive (SO_KEEPALIVE)', () => {
  const config = { keepalive: true, keepaliveTime: 10_000, keepaliveIntvl: 1_000, keepaliveProbes: 3, tcpTimestamps: false };

  test('off by default', () => {
    const r = established();
    expect(r.c.nextDeadline()).toBeUndefined();
  });

  test('an idle connection is probed after keepaliveTime with SND.UNA − 1', () => {
    const r = established({ config });
    r.advance(9_999);
    r.expectNothing();
    r.advance(1);
    r.expectSegments(['Flags [.], ack 5001, win 502, length 0']);
    expect(r.log.at(-1)!.seg.seq).toBe(ISS);
  });

  test('unanswered probes: RST and ETIMEDOUT after keepaliveProbes', () => {
    const r = established({ config });
    r.advance(10_000 + 3 * 1_000);
    const sent = r.out();
    expect(sent).toHaveLength(4);
    expect(sent[3]).toBe('Flags [R.], seq 1001, ack 5001, win 502, length 0');
    r.expectState('CLOSED');
    expect(r.c.error).toBe('ETIMEDOUT');
  });

  test('an answer resets the count and the idle time', () => {
    const r = established({ config });
    r.advance(10_000);
    r.out();
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1 });
    r.advance(9_999);
    r.expectNothing();
    r.advance(1);
    expect(r.out()).toHaveLength(1);
  });
});

describe('TCP_USER_TIMEOUT', () => {
  test('data unacknowledged for userTimeout → ETIMEDOUT at the next timer after it', () => {
    const r = established({ config: { tcpTimestamps: false, userTimeout: 5000 } });
    r.write(10);
    r.advance(20_000);
    expect(r.c.error).toBe('ETIMEDOUT');
    const closedAt = r.events.at(-1)!.at;
    expect(closedAt).toBeGreaterThan(5000);
    expect(closedAt).toBeLessThan(20_000);
  });

  test('a SYN gives up after userTimeout too', () => {
    const s = synSent({ config: { userTimeout: 3000 } });
    s.advance(10_000);
    expect(s.c.error).toBe('ETIMEDOUT');
    expect(s.events.at(-1)!.at).toBeLessThanOrEqual(4000);
  });
});

describe('tail loss probe (RFC 8985 §7, Linux tcp_early_retrans = 3)', () => {
  test('a lost tail: the last segment is probed at PTO = 2 × SRTT + 2 ms, before the RTO', () => {
    const r = established({ config: { tcpTimestamps: false }, win: 502 });
    r.write(3 * 1460);
    expect(r.out()).toHaveLength(3);
    const pto = 2 * r.c.srtt! + 2;
    expect(r.c.nextDeadline()).toBe(r.now + pto);
    r.advance(pto);
    r.expectSegments(['Flags [P.], seq 3921:5381, ack 5001, win 502, length 1460']);
    expect(r.c.counters.lossProbes).toBe(1);
    expect(r.events.at(-1)).toMatchObject({ type: 'retransmission', kind: 'tlp', seq: ISS + 1 + 2 * 1460 });
    // Then the RTO as usual, and only one probe per episode.
    expect(r.c.nextDeadline()).toBe(r.now + r.c.rto);
    r.advance(r.c.rto);
    r.expectSegments(['Flags [.], seq 1001:2461, ack 5001, win 502, length 1460']);
    expect(r.c.counters.lossProbes).toBe(1);
  });

  test('a lone segment: PTO = 2 × SRTT + TCP_RTO_MIN (its ACK may be delayed)', () => {
    const r = established({ config: { tcpTimestamps: false }, win: 502 });
    r.write(100);
    expect(r.c.nextDeadline()).toBe(r.now + Math.min(2 * r.c.srtt! + 200, r.c.rto));
  });

  test('the probe is new data when the window allows it', () => {
    const r = established({ config: { tcpTimestamps: false, initCwnd: 2 }, win: 502 });
    r.write(3 * 1460);
    expect(r.out()).toHaveLength(2);
    r.advance(r.c.nextDeadline()! - r.now);
    r.expectSegments(['Flags [P.], seq 3921:5381, ack 5001, win 502, length 1460']);
  });

  test('the probe repairs the tail: its ACK ends the episode without a timeout', () => {
    const r = established({ config: { tcpTimestamps: false }, win: 502 });
    r.write(3 * 1460);
    r.out();
    r.advance(r.c.nextDeadline()! - r.now);
    r.out();
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1 + 3 * 1460 });
    expect(r.c.nextDeadline()).toBeUndefined();
    expect(r.c.counters.timeouts).toBe(0);
  });

  test('a lost FIN is probed too', () => {
    const r = established({ config: { tcpTimestamps: false }, win: 502 });
    r.close();
    r.out();
    r.advance(r.c.nextDeadline()! - r.now);
    r.expectSegments(['Flags [F.], seq 1001, ack 5001, win 502, length 0']);
    expect(r.c.counters.lossProbes).toBe(1);
  });

  test('no probe without SACK', () => {
    const r = established({ config: { tcpTimestamps: false }, win: 502, sackOK: false });
    r.write(3 * 1460);
    expect(r.c.nextDeadline()).toBe(r.now + r.c.rto);
  });
});
