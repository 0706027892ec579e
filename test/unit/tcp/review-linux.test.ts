/**
 * Review findings: places where the engine differed from what Linux 6.x shows on the wire or in
 * `ss`. Each test names the Linux function (or the capture) it is checked against.
 */
import { describe, expect, test } from 'vitest';
import { closeWait, closing, established, finWait2, IRS, ISS, lastAck, passiveEstablished, seg, synReceived, synSent, timeWait } from './harness/index.js';

describe('RFC 5961 §7 challenge ACKs share the per-socket limit with out-of-window ACKs (Linux)', () => {
  // tcp_send_challenge_ack first checks __tcp_oow_rate_limited(..., &tp->last_oow_ack_time),
  // the same stamp tcp_validate_incoming uses for the duplicate ACK of an out-of-window segment:
  // at most one of either per tcp_invalid_ratelimit (500 ms).
  test('a challenge ACK silences an out-of-window ACK for 500 ms', () => {
    const r = established();
    r.advance(1000);
    r.inject({ flags: 'R', seq: IRS + 100 });
    r.expectSegments(['Flags [.], ack 5001, win 502, length 0']);
    r.inject({ flags: '.', seq: IRS + 900_000, ack: ISS + 1 });
    r.expectNothing();
    r.advance(499);
    r.inject({ flags: '.', seq: IRS + 900_000, ack: ISS + 1 });
    r.expectNothing();
    r.advance(1);
    r.inject({ flags: '.', seq: IRS + 900_000, ack: ISS + 1 });
    r.expectSegments(['Flags [.], ack 5001, win 502, length 0']);
  });

  test('an out-of-window ACK silences a challenge ACK for 500 ms', () => {
    const r = established();
    r.advance(1000);
    r.inject({ flags: '.', seq: IRS + 900_000, ack: ISS + 1 });
    r.expectSegments(['Flags [.], ack 5001, win 502, length 0']);
    r.inject({ flags: 'S', seq: IRS + 100 });
    r.expectNothing();
    expect(r.c.counters.challengeAcksSkipped).toBe(1);
    r.advance(500);
    r.inject({ flags: 'S', seq: IRS + 100 });
    r.expectSegments(['Flags [.], ack 5001, win 502, length 0']);
  });
});

describe('RST one below RCV.NXT after the peer FIN (Linux tcp_reset_check)', () => {
  // tcp_validate_incoming: an out-of-window RST resets when SEG.SEQ = RCV.NXT − 1 in
  // CLOSE-WAIT, LAST-ACK or CLOSING (a peer that sends its RST with its FIN's sequence number).
  test('CLOSE-WAIT: reset, EPIPE (tcp_reset)', () => {
    const r = closeWait();
    r.inject({ flags: 'R', seq: IRS + 1 });
    r.expectNothing();
    r.expectState('CLOSED');
    expect(r.c.error).toBe('EPIPE');
  });

  test('LAST-ACK and CLOSING: closed', () => {
    const a = lastAck();
    a.inject({ flags: 'R', seq: IRS + 1 });
    a.expectNothing();
    a.expectState('CLOSED');
    const c = closing();
    c.inject({ flags: 'R', seq: IRS + 1 });
    c.expectNothing();
    c.expectState('CLOSED');
  });

  test('ESTABLISHED: still out of window, dropped', () => {
    const r = established();
    r.inject({ flags: 'R', seq: IRS });
    r.expectNothing();
    r.expectState('ESTABLISHED');
  });
});

describe('orphaned FIN-WAIT-2 in ss -o (Linux tcp_time_wait(sk, TCP_FIN_WAIT2, tmo))', () => {
  // Captured on Linux 6.18: after close() and the ACK of the FIN, `ss -tano` shows
  // "FIN-WAIT-2 ... timer:(timewait,59sec,0)": with tcp_fin_timeout <= TCP_TIMEWAIT_LEN the
  // orphan lives in a timewait socket, not on the keepalive timer.
  test('default tcp_fin_timeout: timer timewait, expiring at 60 s', () => {
    const r = finWait2();
    expect(r.c.activeTimer(r.now)).toEqual({ kind: 'timewait', expiresAt: 60_000, count: 0 });
    expect(r.c.activeTimer()).toEqual({ kind: 'timewait', expiresAt: 60_000, count: 0 });
  });

  test('tcp_fin_timeout above 60 s: the keepalive timer first, then timewait for the last 60 s', () => {
    const r = finWait2({ config: { tcpFinTimeout: 100_000 } });
    expect(r.c.activeTimer(r.now)).toEqual({ kind: 'keepalive', expiresAt: 40_000, count: 0 });
    r.advanceTo(40_000);
    r.expectState('FIN-WAIT-2');
    expect(r.c.activeTimer(r.now)).toEqual({ kind: 'timewait', expiresAt: 100_000, count: 0 });
    r.advanceTo(100_000);
    r.expectState('CLOSED');
  });

  test('not orphaned (shutdown only): no timer', () => {
    expect(finWait2({}, false).c.activeTimer(0)).toBeUndefined();
  });
});

describe('delayed ACK (Linux tcp_event_data_recv, tcp_send_delayed_ack)', () => {
  test('after an idle gap longer than the RTO, quick ACK mode is entered again in full', () => {
    // tcp_event_data_recv: "m > icsk_rto ... tcp_incr_quickack(sk, TCP_MAX_QUICKACKS)": up to
    // min(16, rcv_wnd / (2 × rcv_mss)) quick ACKs, not 2.
    const r = established();
    for (let i = 0; i < 20; i++) {
      r.inject({ flags: 'P.', seq: IRS + 1 + i * 100, ack: ISS + 1, payload: 100 });
      r.advance(1);
    }
    r.advance(300);
    r.out();
    r.advance(5000);
    for (let i = 20; i < 25; i++) {
      r.inject({ flags: 'P.', seq: IRS + 1 + i * 100, ack: ISS + 1, payload: 100 });
      expect(r.out()).toHaveLength(1);
      r.advance(1);
    }
  });

  test('the delayed-ACK timeout is bounded by the smoothed RTT (at least 40 ms)', () => {
    // tcp_send_delayed_ack: "if (tp->srtt_us) { rtt = max(srtt, TCP_DELACK_MIN); if (rtt <
    // max_ato) max_ato = rtt; } ato = min(ato, max_ato)". Segments 39 ms apart make the ato
    // grow (ato/2 + m) but a 10 ms path never waits more than 40 ms.
    const r = synSent({ config: { quickAcks: 0 } });
    r.advance(10);
    r.inject(seg({ flags: 'S.', seq: IRS, ack: ISS + 1, win: 65535, mss: 1460, sackOK: true, wscale: 7 }));
    r.out();
    const sentAt: number[] = [];
    const ackAt: number[] = [];
    for (let i = 0; i < 20; i++) {
      sentAt.push(r.now);
      r.inject({ flags: 'P.', seq: IRS + 1 + i * 10, ack: ISS + 1, payload: 10 });
      for (let t = 0; t < 39; t++) {
        r.advance(1);
        if (r.out().length > 0) ackAt.push(r.now);
      }
    }
    // Every ACK comes at most 40 ms after the oldest segment it acknowledges.
    let next = 0;
    for (const at of ackAt) {
      expect(at - sentAt[next]!).toBeLessThanOrEqual(40);
      while (next < sentAt.length && sentAt[next]! <= at) next++;
    }
    expect(ackAt.length).toBeGreaterThan(5);
  });
});

describe('tail loss probe repeats the last segment sent (RFC 8985 §7.3, Linux tcp_send_loss_probe)', () => {
  test('a short tail segment is probed with its own boundaries, not a full MSS ending at SND.MAX', () => {
    const r = established({ config: { tcpTimestamps: false }, win: 502 });
    r.write(3000);
    r.expectSegments([
      'Flags [.], seq 1001:2461, ack 5001, win 502, length 1460',
      'Flags [.], seq 2461:3921, ack 5001, win 502, length 1460',
      'Flags [P.], seq 3921:4001, ack 5001, win 502, length 80',
    ]);
    r.advance(r.c.nextDeadline()! - r.now);
    r.expectSegments(['Flags [P.], seq 3921:4001, ack 5001, win 502, length 80']);
    expect(r.c.counters.lossProbes).toBe(1);
  });
});

describe('a window shrunk to zero under data in flight (Linux tcp_retransmit_timer)', () => {
  // "Receiver dastardly shrinks window. Our retransmits become zero probes, but we should not
  // timeout this connection": with SND.WND = 0 the retransmissions do not count toward
  // tcp_retries2; the connection fails only when nothing was received for 2 × TCP_RTO_MAX and
  // the retransmissions have lasted as long (tcp_rtx_probe0_timed_out).
  function shrunk() {
    const r = established({ config: { tcpTimestamps: false }, sackOK: false, win: 502 });
    r.write(3 * 1460);
    r.out();
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1461, win: 0 });
    r.out();
    return r;
  }

  test('a peer that keeps answering with a zero window is never given up on', () => {
    const r = shrunk();
    for (let guard = 0; guard < 200 && r.now < 2_000_000; guard++) {
      const d = r.c.nextDeadline();
      if (d === undefined) break;
      r.advanceTo(d);
      if (r.out().length > 0) r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1461, win: 0 });
    }
    expect(r.now).toBeGreaterThanOrEqual(2_000_000);
    r.expectState('ESTABLISHED');
  });

  test('a silent peer: ETIMEDOUT once 240 s passed without an ACK and of retransmissions', () => {
    const r = shrunk();
    r.advance(2_000_000);
    r.expectState('CLOSED');
    expect(r.c.error).toBe('ETIMEDOUT');
    const closedAt = r.events.find((e) => e.type === 'state' && e.to === 'CLOSED')!.at;
    // Retransmissions at 0.2, 0.6, 1.4, 3, 6.2, 12.6, 25.4, 51, 102.2, 204.6, 324.6 s: the
    // first timeout with both deltas above 240 s is at 324.6 s (tcp_retries2 would be 924.6 s).
    expect(closedAt).toBe(324_600);
  });
});

describe('the ACK of a FIN on a connection that never received data (Linux ato = 0)', () => {
  // Captured on Linux 6.18 (kernel server, client connects and closes without sending): the
  // server ACKs the FIN one tick later and its own FIN follows separately at close(); with data
  // received first, the ACK waits and rides on the FIN (three-packet close).
  test('ESTABLISHED + FIN, no data ever received: the ACK goes at once', () => {
    const r = established();
    r.inject({ flags: 'F.', seq: IRS + 1, ack: ISS + 1 });
    r.expectSegments(['Flags [.], ack 5002, win 502, length 0']);
    r.expectState('CLOSE-WAIT');
    r.advance(10);
    r.close();
    r.expectSegments(['Flags [F.], seq 1001, ack 5002, win 502, length 0']);
  });

  test('after data: delayed, and close() within it sends one FIN+ACK', () => {
    const r = established();
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 1, payload: 3 });
    r.read();
    r.out();
    r.inject({ flags: 'F.', seq: IRS + 4, ack: ISS + 1 });
    r.expectNothing();
    r.advance(20);
    r.close();
    r.expectSegments(['Flags [F.], seq 1001, ack 5005, win 502, length 0']);
  });
});

describe('orphaned FIN-WAIT-2 follows the FIN_WAIT2 timewait substate (Linux tcp_timewait_state_process)', () => {
  test('an in-window RST that is not exact kills it silently (no challenge ACK)', () => {
    const r = finWait2();
    r.advance(1000);
    r.inject({ flags: 'R', seq: IRS + 100 });
    r.expectNothing();
    r.expectState('CLOSED');
  });

  test('an in-window SYN is answered with RST and ends it (TCP_TW_RST)', () => {
    const r = finWait2();
    r.advance(1000);
    r.inject({ flags: 'S', seq: IRS + 100 });
    r.expectSegments(['Flags [R.], seq 0, ack 5101, win 0, length 0']);
    r.expectState('CLOSED');
  });

  test('not orphaned (shutdown only): RFC 5961 as in any synchronized state', () => {
    const r = finWait2({}, false);
    r.advance(1000);
    r.inject({ flags: 'R', seq: IRS + 100 });
    r.expectSegments(['Flags [.], ack 5001, win 502, length 0']);
    r.expectState('FIN-WAIT-2');
  });
});

/** The window field aside: above 128 bytes Linux grows the window by skb truesize, not modelled. */
function noWin(lines: string[]): string[] {
  return lines.map((l) => l.replace(/, win \d+/, ''));
}

describe('interactive (ping-pong) mode (Linux inet_csk_inc_pingpong_cnt, tcp_pingpong_thresh 1)', () => {
  // Captured on Linux 6.18: a server that answers each 30-byte request 10 ms after it arrives.
  // The first request gets a pure ACK at once (quick ACK mode); the answer, sent within the ato
  // of the request, turns ping-pong mode on, and from then on the ACK of a request waits and
  // rides on the answer: no pure ACK for the second and third requests.
  test('a request answered within the ato: later requests are ACKed by the answer alone', () => {
    const r = passiveEstablished({ timestamps: false });
    r.advance(100);
    let seq = IRS + 1;
    let ack = ISS + 1;
    const perRequest: string[][] = [];
    for (let i = 0; i < 3; i++) {
      r.inject({ flags: 'P.', seq, ack, payload: 30 });
      seq += 30;
      r.advance(10);
      r.write(40);
      ack += 40;
      perRequest.push(noWin(r.out()));
      r.inject({ flags: '.', seq, ack });
      r.advance(200);
      r.out();
    }
    expect(perRequest[0]).toEqual(['Flags [.], ack 5031, length 0', 'Flags [P.], seq 1001:1041, ack 5031, length 40']);
    expect(perRequest[1]).toEqual(['Flags [P.], seq 1041:1081, ack 5061, length 40']);
    expect(perRequest[2]).toEqual(['Flags [P.], seq 1081:1121, ack 5091, length 40']);
  });

  test('a delayed ACK that fires leaves ping-pong mode: the next request is ACKed at once', () => {
    // tcp_delack_timer_handler: "Delayed ACK missed: leave pingpong mode and deflate ATO".
    const r = passiveEstablished({ timestamps: false });
    r.advance(100);
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 1, payload: 30 });
    r.advance(10);
    r.write(40);
    r.inject({ flags: '.', seq: IRS + 31, ack: ISS + 41 });
    r.advance(200);
    r.out();
    // In ping-pong mode now: this request waits for its answer, which does not come.
    r.inject({ flags: 'P.', seq: IRS + 31, ack: ISS + 41, payload: 30 });
    r.expectNothing();
    r.advance(40);
    expect(noWin(r.out())).toEqual(['Flags [.], ack 5061, length 0']);
    r.advance(200);
    r.inject({ flags: 'P.', seq: IRS + 61, ack: ISS + 41, payload: 30 });
    expect(noWin(r.out())).toEqual(['Flags [.], ack 5091, length 0']);
  });
});

describe('a retransmitted segment means our ACK was lost (Linux tcp_send_dupack → tcp_enter_quickack_mode)', () => {
  test('ping-pong mode ends: the next request is ACKed at once', () => {
    const r = passiveEstablished({ timestamps: false });
    r.advance(100);
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 1, payload: 30 });
    r.advance(10);
    r.write(40);
    r.inject({ flags: '.', seq: IRS + 31, ack: ISS + 41 });
    r.advance(200);
    r.out();
    // The request again (its ACK "lost"): a duplicate, ACKed at once.
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 41, payload: 30 });
    expect(noWin(r.out())).toEqual(['Flags [.], ack 5031, options [nop,nop,sack 1 {5001:5031}], length 0']);
    r.advance(100);
    r.inject({ flags: 'P.', seq: IRS + 31, ack: ISS + 41, payload: 30 });
    expect(noWin(r.out())).toEqual(['Flags [.], ack 5061, length 0']);
  });
});

describe('receive window growth (Linux tcp_event_data_recv: "if (skb->len >= 128) tcp_grow_window")', () => {
  test('segments under 128 bytes leave the advertised window where it was', () => {
    const r = established();
    for (let i = 0; i < 5; i++) r.inject({ flags: 'P.', seq: IRS + 1 + i * 100, ack: ISS + 1, payload: 100 });
    expect(r.out()).toEqual([
      'Flags [.], ack 5101, win 502, length 0',
      'Flags [.], ack 5201, win 502, length 0',
      'Flags [.], ack 5301, win 502, length 0',
      'Flags [.], ack 5401, win 502, length 0',
      'Flags [.], ack 5501, win 502, length 0',
    ]);
  });
});

describe('a retransmitted SYN in SYN-RECEIVED restarts the SYN-ACK timer (Linux tcp_check_req)', () => {
  // "expires += tcp_reqsk_timeout(req); mod_timer_pending(&req->rsk_timer, expires)": the
  // SYN-ACK sent for a retransmitted SYN pushes the next timer-driven one a full timeout away.
  test('SYN at 500 ms: SYN-ACKs at 500 and 1500 ms, not at 1000 ms', () => {
    const r = synReceived();
    r.advanceTo(500);
    r.inject({ flags: 'S', seq: IRS, mss: 1460, sackOK: true, wscale: 7 });
    expect(r.out()).toHaveLength(1);
    r.advanceTo(1499);
    r.expectNothing();
    r.advanceTo(1500);
    expect(r.out()).toHaveLength(1);
    // Then the schedule continues with the timer's backoff: 2 s later.
    r.advanceTo(3499);
    r.expectNothing();
    r.advanceTo(3500);
    expect(r.out()).toHaveLength(1);
  });
});

describe('passive SYN-RECEIVED follows tcp_check_req (a request socket: no RFC 5961)', () => {
  test('a bad ACK number is answered with RST before the sequence number is looked at', () => {
    const r = synReceived();
    r.advance(10);
    r.inject({ flags: '.', seq: IRS + 900_000, ack: ISS + 5 });
    r.expectSegments(['Flags [R], seq 1005, win 0, length 0']);
    r.expectState('SYN-RECEIVED');
  });

  test('an in-window RST that is not exact drops the request silently', () => {
    const r = synReceived();
    r.advance(10);
    r.inject({ flags: 'R', seq: IRS + 10 });
    r.expectNothing();
    r.expectState('CLOSED');
    expect(r.c.error).toBeUndefined();
  });

  test('an in-window SYN other than the retransmitted one: RST, and the request is dropped', () => {
    const r = synReceived();
    r.advance(10);
    r.inject({ flags: 'S', seq: IRS + 10 });
    r.expectSegments(['Flags [R.], seq 0, ack 5011, win 0, length 0']);
    r.expectState('CLOSED');
  });
});

describe('RFC 5961 §5.2 with Linux bytes_acked (tcp_ack: min(max_window, bytes_acked))', () => {
  test('on a connection that has sent no data, an ACK below ISS gets a challenge ACK', () => {
    const r = established();
    r.advance(1000);
    // SND.UNA − 1 = ISS (the SYN, acknowledged): an old ACK, ignored.
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS });
    r.expectNothing();
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS - 1 });
    r.expectSegments(['Flags [.], ack 5001, win 502, length 0']);
    expect(r.c.counters.ackOutOfRange).toBe(1);
  });

  test('after 100 bytes were acknowledged, 101 back is still fine and 102 is not', () => {
    const r = established();
    r.write(100);
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 101 });
    r.out();
    r.advance(1000);
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS });
    r.expectNothing();
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS - 1 });
    r.expectSegments(['Flags [.], ack 5001, win 502, length 0']);
  });
});

describe('TIME-WAIT: a RST is subject to PAWS (Linux tcp_paws_reject(&tmp_opt, th->rst))', () => {
  // tcp_timewait_state_process computes paws_reject with the RST flag: a RST is exempt only
  // when TS.Recent is older than TCP_PAWS_MSL (60 s). A PAWS-rejected RST is ignored.
  test('a RST at RCV.NXT with an older TSval leaves TIME-WAIT alone; a newer one ends it', () => {
    const r = timeWait({ timestamps: true });
    r.advance(10);
    r.inject({ flags: 'R', seq: IRS + 2, ts: [50, 0] });
    r.expectNothing();
    r.expectState('TIME-WAIT');
    r.inject({ flags: 'R', seq: IRS + 2, ts: [500, 0] });
    r.expectState('CLOSED');
  });
});

describe('data and FIN in one segment (Linux: tcp_fin enters ping-pong before __tcp_ack_snd_check)', () => {
  test('a small last write with the FIN is not quick-ACKed: the ACK waits and rides on our FIN', () => {
    const r = established();
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 1, payload: 20 });
    r.read();
    r.out();
    r.inject({ flags: 'FP.', seq: IRS + 21, ack: ISS + 1, payload: 20 });
    r.expectNothing();
    r.expectState('CLOSE-WAIT');
    r.advance(10);
    r.read();
    r.close();
    r.expectSegments(['Flags [F.], seq 1001, ack 5042, win 502, length 0']);
  });
});
