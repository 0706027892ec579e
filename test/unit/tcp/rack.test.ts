// Loss recovery that the fault-injection runs against the kernel showed wrong (issue 8), as
// packet scripts: RACK (RFC 8985) finds a lost retransmission and a loss under a small window
// without waiting for the retransmission timeout; reordering raises DupThresh; a reduction
// proved spurious by a D-SACK or by timestamps is undone; and a SACK connection may start a new
// recovery at the point where the last one began.
import { describe, expect, test } from 'vitest';
import type { TcpConfig } from '../../../src/tcp/config.js';
import { IRS, ISS, synSent, type Rig } from './harness/index.js';

const MSS = 1460;
/** Our segment k (0-based) starts at ISS + 1 + MSS k. */
const at = (k: number): number => ISS + 1 + MSS * k;

/** ESTABLISHED by active open, the SYN-ACK `rtt` ms after the SYN: a real round-trip time. */
function established(rtt: number, config: Partial<TcpConfig> = {}): Rig {
  const r = synSent({ config: { tcpTimestamps: false, ...config } });
  r.advance(rtt);
  r.inject({ flags: 'S.', seq: IRS, ack: ISS + 1, win: 65535, mss: 1460, sackOK: true, wscale: 7 });
  r.pending = [];
  return r;
}

/** The peer's ACK: cumulative `ack`, SACK blocks. */
function ack(r: Rig, cumulative: number, sack: readonly (readonly [number, number])[] = []): string[] {
  r.inject({ flags: '.', seq: IRS + 1, ack: cumulative, sack: sack.length > 0 ? sack : undefined });
  return r.out();
}

const retransmissionOf = (k: number) => `Flags [.], seq ${at(k)}:${at(k + 1)}, ack ${IRS + 1}, win 502, length ${MSS}`;

describe('RACK (RFC 8985)', () => {
  test('a lost retransmission is sent again once a segment sent after it is SACKed, without a timeout', () => {
    const r = established(50);
    r.write(20 * MSS);
    expect(r.out()).toHaveLength(10); // the initial window
    r.advance(50);
    // Segment 0 is lost; 1..3 arrive: recovery, segment 0 again (and new data as PRR allows).
    const first = ack(r, at(0), [[at(1), at(4)]]);
    expect(first[0]).toBe(retransmissionOf(0));
    expect(r.c.caState).toBe('recovery');
    // The rest of the window arrives; PRR sends new segments after the retransmission.
    const later = ack(r, at(0), [[at(1), at(10)]]);
    expect(later.length).toBeGreaterThan(0);
    const newSegment = Number(/seq (\d+):/.exec(later[later.length - 1]!)![1]);
    r.advance(50);
    // The retransmission of 0 was lost too; a new segment sent after it arrives. Its SACK proves
    // the retransmission lost (RACK.xmit_ts is later): segment 0 goes a third time, now.
    const third = ack(r, at(0), [[at(1), at(10)], [newSegment, newSegment + MSS]].reverse() as [number, number][]);
    expect(third).toContain(retransmissionOf(0));
    expect(r.c.counters.lostRetransmits).toBe(1);
    expect(r.c.counters.timeouts).toBe(0);
  });

  test('with two segments in flight, one SACK above a hole is enough after RTT + min_rtt/4 (reordering timer)', () => {
    const r = established(40, { initCwnd: 2 });
    r.write(2 * MSS);
    expect(r.out()).toHaveLength(2);
    r.advance(40);
    // Segment 1 arrives, 0 does not: one SACKed segment, fewer than DupThresh. RACK waits a
    // quarter of the minimum RTT for reordering (10 ms) plus Linux's 2 ms timer slack.
    expect(ack(r, at(0), [[at(1), at(2)]])).toEqual([]);
    r.advance(11);
    expect(r.out()).toEqual([]);
    r.advance(2);
    expect(r.out()).toEqual([retransmissionOf(0)]);
    expect(r.c.caState).toBe('recovery');
    // Before the tail loss probe (2 × SRTT) and long before the RTO.
    expect(r.c.counters.lossProbes).toBe(0);
    expect(r.c.counters.timeouts).toBe(0);
    ack(r, at(2));
    expect(r.c.caState).toBe('open');
  });

  test('reordering seen raises DupThresh: three SACKed segments no longer mean loss at once', () => {
    const r = established(40);
    r.write(20 * MSS);
    r.out();
    r.advance(40);
    // 2 and 3 arrive before 0 and 1, then 0 and 1 (originals, never retransmitted) arrive late:
    // reordering by 3 segments (Linux tcp_check_sack_reordering).
    ack(r, at(0), [[at(2), at(4)]]);
    r.advance(1);
    ack(r, at(4));
    expect(r.c.counters.sackReorder).toBe(1);
    expect(r.c.caState).toBe('open');
    r.out();
    // Now 4 is missing while 5, 6, 7 arrive: RFC 6675 alone (DupThresh 3) would retransmit at
    // once; with DupThresh raised it waits for the reordering window instead.
    expect(ack(r, at(4), [[at(5), at(8)]]).filter((l) => l.startsWith(`Flags [.], seq ${at(4)}:`))).toEqual([]);
    r.advance(40);
    expect(r.out()).toContain(retransmissionOf(4));
  });
});

describe('undo of a spurious reduction', () => {
  test('a D-SACK of the only retransmission restores cwnd and ssthresh (Linux tcp_try_undo_dsack)', () => {
    const r = established(50);
    r.write(10 * MSS);
    r.out();
    r.advance(50);
    const cwnd = r.c.cwnd;
    expect(ack(r, at(0), [[at(1), at(4)]])[0]).toBe(retransmissionOf(0));
    expect(r.c.cwnd).toBeLessThan(cwnd);
    // Segment 0 was only late: its original fills the hole, then the retransmission arrives as a
    // duplicate and the receiver reports it (RFC 2883).
    ack(r, at(10));
    ack(r, at(10), [[at(0), at(1)]]);
    expect(r.c.counters.dsackUndos).toBe(1);
    expect(r.c.cwnd).toBeGreaterThanOrEqual(cwnd);
    expect(r.c.caState).toBe('open');
  });

  test('an ACK echoing the original\'s timestamp ends recovery with the reduction undone (RFC 3522 Eifel)', () => {
    const r = synSent({ config: { tcpTimestamps: true } });
    r.advance(50);
    r.inject({ flags: 'S.', seq: IRS, ack: ISS + 1, win: 65535, mss: 1460, sackOK: true, wscale: 7, ts: [1000, 0] });
    r.out();
    r.advance(10);
    r.write(10 * 1448);
    r.out();
    const originalTs = 60; // TSval is our clock in ms
    r.advance(50);
    const cwnd = r.c.cwnd;
    const seg = (k: number) => ISS + 1 + 1448 * k;
    r.inject({ flags: '.', seq: IRS + 1, ack: seg(0), sack: [[seg(1), seg(4)]], ts: [1060, originalTs] });
    expect(r.out()[0]).toMatch(new RegExp(`seq ${seg(0)}:${seg(1)},`));
    expect(r.c.caState).toBe('recovery');
    // The original of segment 0 arrives after all: the cumulative ACK echoes its TSval, older
    // than the retransmission's.
    r.advance(1);
    r.inject({ flags: '.', seq: IRS + 1, ack: seg(10), ts: [1061, originalTs] });
    expect(r.c.counters.timestampUndos).toBe(1);
    expect(r.c.caState).toBe('open');
    expect(r.c.cwnd).toBeGreaterThanOrEqual(cwnd);
  });
});

test('with SACK, a new recovery may begin where the last one began (Linux: "SACK TCP is safe")', () => {
  const r = established(50);
  r.write(40 * MSS);
  r.out();
  r.advance(50);
  // Recovery 1: segment 0 lost; it began with 10 segments out, so its recovery point is at(10).
  ack(r, at(0), [[at(1), at(4)]]);
  ack(r, at(0), [[at(1), at(10)]]);
  r.out();
  expect(r.c.caState).toBe('recovery');
  r.advance(50);
  ack(r, at(10));
  expect(r.c.caState).toBe('open');
  r.out();
  // Segment 10, the first sent after recovery 1 began, is lost: the ACK stays at at(10), the
  // old recovery point, while 11..13 are SACKed. RFC 6582's check for Reno would wait for the
  // RTO here.
  r.advance(50);
  const out = ack(r, at(10), [[at(11), at(14)]]);
  expect(out).toContain(retransmissionOf(10));
  expect(r.c.counters.timeouts).toBe(0);
});
