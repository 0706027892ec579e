import { describe, expect, test } from 'vitest';
import { closeWait, closing, established, finWait1, finWait2, IRS, ISS, lastAck, seg, synReceived, timeWait } from './harness/index.js';

describe('active close (RFC 9293 §3.6, figure 12)', () => {
  test('close() in ESTABLISHED sends FIN → FIN-WAIT-1', () => {
    const r = established();
    r.close();
    r.expectSegments(['Flags [F.], seq 1001, ack 5001, win 502, length 0']);
    r.expectState('FIN-WAIT-1');
  });

  test('the FIN follows queued data, piggybacked on the last segment', () => {
    const r = established();
    r.write(100);
    r.out();
    r.write(50);
    r.close();
    // Nagle holds the second small segment until the first is ACKed; the FIN rides with it.
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 101 });
    r.expectSegments(['Flags [FP.], seq 1101:1151, ack 5001, win 502, length 50']);
  });

  test('ACK of our FIN → FIN-WAIT-2; the peer FIN → TIME-WAIT with an immediate ACK', () => {
    const r = finWait1();
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 2 });
    r.expectState('FIN-WAIT-2').expectNothing();
    r.inject({ flags: 'F.', seq: IRS + 1, ack: ISS + 2 });
    r.expectSegments(['Flags [.], ack 5002, win 502, length 0']);
    r.expectState('TIME-WAIT');
    expect(r.transitions().slice(-3)).toEqual(['ESTABLISHED>FIN-WAIT-1', 'FIN-WAIT-1>FIN-WAIT-2', 'FIN-WAIT-2>TIME-WAIT']);
  });

  test('FIN+ACK of our FIN in FIN-WAIT-1 → TIME-WAIT directly', () => {
    const r = finWait1();
    r.inject({ flags: 'F.', seq: IRS + 1, ack: ISS + 2 });
    r.expectSegments(['Flags [.], ack 5002, win 502, length 0']);
    r.expectState('TIME-WAIT');
  });

  test('simultaneous close: FIN-WAIT-1 + FIN → CLOSING, then the ACK → TIME-WAIT', () => {
    const r = finWait1();
    r.inject({ flags: 'F.', seq: IRS + 1, ack: ISS + 1 });
    r.expectSegments(['Flags [.], ack 5002, win 502, length 0']);
    r.expectState('CLOSING');
    r.inject({ flags: '.', seq: IRS + 2, ack: ISS + 2 });
    r.expectState('TIME-WAIT');
  });

  test('FIN retransmitted in FIN-WAIT-1 on the RTO', () => {
    const r = finWait1();
    r.advance(1000);
    const sent = r.out();
    expect(sent[0]).toBe('Flags [F.], seq 1001, ack 5001, win 502, length 0');
    r.expectState('FIN-WAIT-1');
  });

  test('FIN retransmitted in CLOSING', () => {
    const r = closing();
    r.advance(1000);
    expect(r.out()[0]).toBe('Flags [F.], seq 1001, ack 5002, win 502, length 0');
    r.expectState('CLOSING');
  });

  test('FIN retransmitted in LAST-ACK', () => {
    const r = lastAck();
    r.advance(1000);
    expect(r.out()[0]).toBe('Flags [F.], seq 1001, ack 5002, win 502, length 0');
    r.expectState('LAST-ACK');
  });
});

describe('TIME-WAIT (DESIGN.md table)', () => {
  test('holds at 59 999 ms and is gone at 60 000 ms (2 × msl 30 000)', () => {
    const r = timeWait();
    const entered = r.now;
    r.advanceTo(entered + 59_999);
    r.expectState('TIME-WAIT');
    r.advanceTo(entered + 60_000);
    r.expectState('CLOSED');
    r.expectNothing();
    expect(r.c.error).toBeUndefined();
    expect(r.events.at(-1)).toMatchObject({ type: 'state', from: 'TIME-WAIT', to: 'CLOSED', cause: 'timeout', at: entered + 60_000 });
  });

  test('msl is configurable: 2 × msl', () => {
    const r = timeWait({ config: { msl: 500 } });
    expect(r.c.nextDeadline()).toBe(r.now + 1000);
  });

  test('a retransmitted FIN is re-ACKed and restarts the 2MSL timer', () => {
    const r = timeWait();
    r.advance(30_000);
    r.inject({ flags: 'F.', seq: IRS + 1, ack: ISS + 2 });
    r.expectSegments(['Flags [.], ack 5002, win 502, length 0']);
    r.advance(59_999);
    r.expectState('TIME-WAIT');
    r.advance(1);
    r.expectState('CLOSED');
  });

  test('every retransmitted FIN is answered (not rate limited: it carries a FIN)', () => {
    const r = timeWait();
    r.inject({ flags: 'F.', seq: IRS + 1, ack: ISS + 2 });
    r.inject({ flags: 'F.', seq: IRS + 1, ack: ISS + 2 });
    expect(r.out()).toHaveLength(2);
  });

  test('msl 0 disables TIME-WAIT: FIN-WAIT-2 + FIN → CLOSED at once', () => {
    const r = finWait2({ config: { msl: 0 } });
    r.inject({ flags: 'F.', seq: IRS + 1, ack: ISS + 2 });
    r.expectSegments(['Flags [.], ack 5002, win 502, length 0']);
    r.expectState('CLOSED');
    expect(r.transitions().at(-1)).toBe('FIN-WAIT-2>CLOSED');
  });

  test('RST in TIME-WAIT kills it (Linux tcp_rfc1337 = 0)', () => {
    const r = timeWait();
    r.inject({ flags: 'R', seq: IRS + 2 });
    r.expectState('CLOSED');
    expect(r.c.error).toBeUndefined();
  });

  test('RST in TIME-WAIT is ignored with tcpRfc1337', () => {
    const r = timeWait({ config: { tcpRfc1337: true } });
    r.inject({ flags: 'R', seq: IRS + 2 });
    r.expectState('TIME-WAIT');
  });

  test('an out-of-window RST in TIME-WAIT is ignored', () => {
    const r = timeWait();
    r.inject({ flags: 'R', seq: IRS + 1000 });
    r.expectState('TIME-WAIT').expectNothing();
  });

  test('data in TIME-WAIT is ACKed and ignored', () => {
    const r = timeWait();
    r.inject({ flags: 'P.', seq: IRS + 2, ack: ISS + 2, payload: 10 });
    r.expectSegments(['Flags [.], ack 5002, win 502, length 0']);
    expect(r.c.readable).toBe(0);
  });

  test('timeWaitRecord exposes what the TIME_WAIT table needs; a newer SYN gets ISN snd_nxt + 65537', () => {
    const r = timeWait();
    const rec = r.c.timeWaitRecord();
    expect(rec).toMatchObject({ sndNxt: ISS + 2, rcvNxt: IRS + 2, expiresAt: r.now + 60_000 });
    expect(r.c.acceptsNewSyn(seg({ flags: 'S', seq: IRS + 100_000 }))).toBe(ISS + 2 + 65537);
    expect(r.c.acceptsNewSyn(seg({ flags: 'S', seq: IRS }))).toBeUndefined();
    expect(r.c.acceptsNewSyn(seg({ flags: 'S.', seq: IRS + 100_000, ack: 1 }))).toBeUndefined();
  });

  test('with timestamps, a SYN with a newer TSval is accepted even with an old sequence number (RFC 6191)', () => {
    const r = timeWait({ timestamps: true });
    const rec = r.c.timeWaitRecord();
    expect(rec?.tsRecent).toBe(100);
    expect(r.c.acceptsNewSyn(seg({ flags: 'S', seq: IRS - 10, ts: [200, 0] }))).toBe(ISS + 2 + 65537);
    expect(r.c.acceptsNewSyn(seg({ flags: 'S', seq: IRS + 100_000, ts: [50, 0] }))).toBeUndefined();
  });

  test('a new SYN reaching the connection itself in TIME-WAIT is ACKed without restarting the timer', () => {
    const r = timeWait();
    const expires = r.c.nextDeadline();
    r.advance(1000);
    r.inject({ flags: 'S', seq: IRS + 100_000 });
    r.expectSegments(['Flags [.], ack 5002, win 502, length 0']);
    expect(r.c.nextDeadline()).toBe(expires);
  });

  test('PAWS in TIME-WAIT: an old timestamp is ACKed, not accepted', () => {
    const r = timeWait({ timestamps: true });
    r.inject({ flags: '.', seq: IRS + 2, ack: ISS + 2, ts: [50, 0] });
    expect(r.out()).toHaveLength(1);
    expect(r.c.counters.pawsEstabRejected).toBe(1);
  });
});

describe('orphaned FIN-WAIT-2 (tcp_fin_timeout)', () => {
  test('after close(), FIN-WAIT-2 ends silently after 60 s', () => {
    const r = finWait2();
    r.advance(59_999);
    r.expectState('FIN-WAIT-2');
    r.advance(1);
    r.expectState('CLOSED').expectNothing();
  });

  test('after shutdown() only, FIN-WAIT-2 waits for ever (the application may still read)', () => {
    const r = finWait2({}, false);
    expect(r.c.nextDeadline()).toBeUndefined();
    r.advance(3_600_000);
    r.expectState('FIN-WAIT-2');
  });

  test('close() after shutdown() starts the timer', () => {
    const r = finWait2({}, false);
    r.close();
    expect(r.c.nextDeadline()).toBe(r.now + 60_000);
  });

  test('a FIN before the timeout → TIME-WAIT', () => {
    const r = finWait2();
    r.advance(30_000);
    r.inject({ flags: 'F.', seq: IRS + 1, ack: ISS + 2 });
    r.expectState('TIME-WAIT');
  });

  test('data after close() is answered with RST (Linux, RFC 1122 §4.2.2.13)', () => {
    const r = finWait2();
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 2, payload: 10 });
    r.expectSegments(['Flags [R], seq 1002, win 0, length 0']);
    r.expectState('CLOSED');
    expect(r.c.counters.abortOnData).toBe(1);
  });

  test('half-close: FIN-WAIT-2 after shutdown() keeps reading', () => {
    const r = finWait2({}, false);
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 2, payload: 'more' });
    expect(new TextDecoder().decode(r.read())).toBe('more');
    r.expectState('FIN-WAIT-2');
  });
});

describe('passive close (CLOSE-WAIT, LAST-ACK)', () => {
  // After data was received (the delayed-ACK engine has an ato); a connection that never
  // received data ACKs the FIN at once: review-linux.test.ts.
  test('the peer FIN → CLOSE-WAIT; the ACK is delayed (Linux ping-pong) and peerClosed is set', () => {
    const r = established();
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 1, payload: 3 });
    r.read();
    r.out();
    r.inject({ flags: 'F.', seq: IRS + 4, ack: ISS + 1 });
    r.expectNothing();
    r.expectState('CLOSE-WAIT');
    expect(r.c.peerClosed).toBe(true);
    expect(r.c.rcvNxt).toBe(IRS + 5);
    r.advance(40);
    r.expectSegments(['Flags [.], ack 5005, win 502, length 0']);
  });

  test('closing within the delayed-ACK time gives the three-packet close (FIN carries the ACK)', () => {
    const r = established();
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 1, payload: 3 });
    r.read();
    r.out();
    r.inject({ flags: 'F.', seq: IRS + 4, ack: ISS + 1 });
    r.advance(10);
    r.close();
    r.expectSegments(['Flags [F.], seq 1001, ack 5005, win 502, length 0']);
    r.expectState('LAST-ACK');
    r.advance(100);
    r.expectNothing();
  });

  test('CLOSE-WAIT stays until the application closes (no timer)', () => {
    const r = closeWait();
    expect(r.c.nextDeadline()).toBeUndefined();
    r.advance(3_600_000);
    r.expectState('CLOSE-WAIT');
  });

  test('CLOSE-WAIT can still send', () => {
    const r = closeWait();
    r.write('bye');
    r.expectSegments(['Flags [P.], seq 1001:1004, ack 5002, win 502, length 3']);
  });

  test('LAST-ACK + ACK of our FIN → CLOSED', () => {
    const r = lastAck();
    r.inject({ flags: '.', seq: IRS + 2, ack: ISS + 2 });
    r.expectState('CLOSED').expectNothing();
    expect(r.c.error).toBeUndefined();
    expect(r.transitions().slice(-3)).toEqual(['ESTABLISHED>CLOSE-WAIT', 'CLOSE-WAIT>LAST-ACK', 'LAST-ACK>CLOSED']);
  });

  test('an ACK not covering our FIN leaves LAST-ACK alone', () => {
    const r = lastAck();
    r.inject({ flags: '.', seq: IRS + 2, ack: ISS + 1 });
    r.expectState('LAST-ACK');
  });

  test('write after shutdown fails with EPIPE', () => {
    const r = lastAck();
    expect(r.c.write(new Uint8Array(1), r.now)).toEqual({ error: 'EPIPE' });
  });

  test('a retransmitted FIN in CLOSE-WAIT is ACKed again', () => {
    const r = closeWait();
    r.inject({ flags: 'F.', seq: IRS + 1, ack: ISS + 1 });
    r.expectSegments(['Flags [.], ack 5002, win 502, length 0']);
  });
});

describe('close() variants', () => {
  test('close() with unread data sends RST instead of FIN (Linux tcp_close)', () => {
    const r = established();
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 1, payload: 10 });
    r.out();
    r.close();
    r.expectSegments(['Flags [R.], seq 1001, ack 5011, win 502, length 0']);
    r.expectState('CLOSED');
  });

  test('abort() sends RST,ACK at SND.NXT and closes (linger 0)', () => {
    const r = established();
    r.abort();
    r.expectSegments(['Flags [R.], seq 1001, ack 5001, win 502, length 0']);
    r.expectState('CLOSED');
    expect(r.c.nextDeadline()).toBeUndefined();
  });

  test('abort() in SYN-SENT or TIME-WAIT sends nothing', () => {
    const t = timeWait();
    t.abort();
    t.expectNothing().expectState('CLOSED');
  });

  test('a closed connection answers segments with RST (RFC 9293 §3.10.7.1)', () => {
    const r = established();
    r.abort();
    r.out();
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 1, payload: 5 });
    r.expectSegments(['Flags [R], seq 1001, win 0, length 0']);
    r.inject({ flags: 'S', seq: 9 });
    r.expectSegments(['Flags [R.], seq 0, ack 10, win 0, length 0']);
    r.inject({ flags: 'R', seq: 9 });
    r.expectNothing();
  });

  test('shutdownWrite in SYN-RECEIVED waits for the handshake, then FIN-WAIT-1', () => {
    const r = synReceived();
    r.shutdown();
    r.expectNothing().expectState('SYN-RECEIVED');
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1 });
    r.expectSegments(['Flags [F.], seq 1001, ack 5001, win 502, length 0']);
    r.expectState('FIN-WAIT-1');
  });
});

describe('DESIGN.md table, closing rows', () => {
  test('CLOSE_WAIT: the application writes after the peer is gone; the peer answers with RST; the next write fails with EPIPE', () => {
    const r = closeWait();
    r.write('late');
    expect(r.out()).toEqual(['Flags [P.], seq 1001:1005, ack 5002, win 502, length 4']);
    r.inject({ flags: 'R', seq: IRS + 2 });
    expect(r.c.write(new Uint8Array(1), r.now)).toEqual({ error: 'EPIPE' });
  });

  test('an orphan whose FIN is never ACKed gives up after tcp_orphan_retries (8: about 102 s), silently', () => {
    const r = finWait1({ config: { tcpTimestamps: false } });
    r.advance(300_000);
    r.expectState('CLOSED');
    expect(r.c.error).toBe('ETIMEDOUT');
    const closedAt = r.events.at(-1)!.at;
    expect(closedAt).toBeLessThan(300_000);
    expect(r.log.every((s) => (s.seg.flags & 0x04) === 0)).toBe(true);
  });

  test('a half-closed (not orphaned) FIN-WAIT-1 keeps retransmitting its FIN longer', () => {
    const r = finWait1({ config: { tcpTimestamps: false } }, false);
    r.advance(300_000);
    r.expectState('FIN-WAIT-1');
  });
});

describe('timers as ss -o shows them', () => {
  test('timewait, on, persist, timewait (orphaned FIN-WAIT-2, as Linux 6.x ss shows it), keepalive, none', () => {
    expect(timeWait().c.activeTimer()).toMatchObject({ kind: 'timewait' });
    const fw1 = finWait1({ sackOK: false });
    expect(fw1.c.activeTimer()).toMatchObject({ kind: 'on', count: 0 });
    fw1.advance(fw1.c.rto);
    expect(fw1.c.activeTimer()).toMatchObject({ kind: 'on', count: 1 });
    expect(finWait2().c.activeTimer()).toMatchObject({ kind: 'timewait', expiresAt: 60_000 });
    expect(established().c.activeTimer()).toBeUndefined();
    const zw = established();
    zw.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, win: 0 });
    zw.write(10);
    expect(zw.c.activeTimer()).toMatchObject({ kind: 'persist' });
    const ka = established({ config: { keepalive: true } });
    expect(ka.c.activeTimer()).toMatchObject({ kind: 'keepalive', expiresAt: 7_200_000 });
  });

  test('field matchers in the harness', () => {
    const r = established();
    r.write(3000);
    r.expectFields([{ flags: '.', seq: ISS + 1, len: 1460 }, { seq: ISS + 1461 }, { flags: 'P.', len: 80, ack: IRS + 1 }]);
  });
});
