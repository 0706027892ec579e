import { describe, expect, test } from 'vitest';
import { closeWait, closing, established, finWait1, finWait2, IRS, ISS, lastAck, synReceived } from './harness/index.js';

describe('RST processing (RFC 9293 §3.10.7.4 second step, RFC 5961 §3)', () => {
  test('an exact-sequence RST resets ESTABLISHED: ECONNRESET', () => {
    const r = established();
    r.inject({ flags: 'R', seq: IRS + 1 });
    r.expectNothing().expectState('CLOSED');
    expect(r.c.error).toBe('ECONNRESET');
    expect(r.c.write(new Uint8Array(1), r.now)).toEqual({ error: 'ECONNRESET' });
  });

  test('an in-window RST that is not exact gets a challenge ACK', () => {
    const r = established();
    r.inject({ flags: 'R', seq: IRS + 100 });
    r.expectSegments(['Flags [.], ack 5001, win 502, length 0']);
    r.expectState('ESTABLISHED');
    expect(r.c.counters.challengeAcks).toBe(1);
  });

  test('challenge ACKs are limited to one per 500 ms per connection', () => {
    const r = established();
    r.inject({ flags: 'R', seq: IRS + 100 });
    r.inject({ flags: 'R', seq: IRS + 200 });
    r.advance(499);
    r.inject({ flags: 'R', seq: IRS + 300 });
    expect(r.out()).toHaveLength(1);
    r.advance(1);
    r.inject({ flags: 'R', seq: IRS + 300 });
    expect(r.out()).toHaveLength(1);
    expect(r.c.counters.challengeAcksSkipped).toBe(2);
  });

  test('the challenge ACK interval is configurable', () => {
    const r = established({ config: { challengeAckInterval: 0 } });
    r.inject({ flags: 'R', seq: IRS + 100 });
    r.inject({ flags: 'R', seq: IRS + 200 });
    expect(r.out()).toHaveLength(2);
  });

  test('an out-of-window RST is dropped silently', () => {
    const r = established();
    r.inject({ flags: 'R', seq: IRS + 1_000_000 });
    r.inject({ flags: 'R', seq: IRS - 10 });
    r.expectNothing().expectState('ESTABLISHED');
  });

  test('RST,ACK at RCV.NXT resets too (the ACK field is not checked)', () => {
    const r = established();
    r.inject({ flags: 'R.', seq: IRS + 1, ack: 12345 });
    r.expectState('CLOSED');
  });

  test.each([
    ['FIN-WAIT-1', finWait1, 'ECONNRESET'],
    ['FIN-WAIT-2', finWait2, 'ECONNRESET'],
  ] as const)('RST in %s → CLOSED with %s', (_name, fixture, code) => {
    const r = fixture();
    r.inject({ flags: 'R', seq: IRS + 1 });
    r.expectState('CLOSED');
    expect(r.c.error).toBe(code);
  });

  test('RST in CLOSE-WAIT → CLOSED, and the next write fails with EPIPE (DESIGN.md table)', () => {
    const r = closeWait();
    r.inject({ flags: 'R', seq: IRS + 2 });
    r.expectState('CLOSED');
    expect(r.c.write(new Uint8Array(1), r.now)).toEqual({ error: 'EPIPE' });
  });

  // RFC 9293 says only "enter the CLOSED state"; Linux tcp_reset records ECONNRESET (SO_ERROR),
  // as the last-ack-lost scenario reads from the kernel; counted as no EstabReset (tcp_set_state).
  test.each([
    ['CLOSING', closing],
    ['LAST-ACK', lastAck],
  ] as const)('RST in %s → CLOSED with ECONNRESET recorded, as Linux, and no EstabReset', (_name, fixture) => {
    const r = fixture();
    r.inject({ flags: 'R', seq: IRS + 2 });
    r.expectState('CLOSED');
    expect(r.c.error).toBe('ECONNRESET');
    expect(r.c.counters.estabResets).toBe(0);
  });
});

describe('SYN on a synchronized connection (RFC 5961 §4)', () => {
  test('an in-window SYN gets a challenge ACK and changes nothing', () => {
    const r = established();
    r.inject({ flags: 'S', seq: IRS + 10 });
    r.expectSegments(['Flags [.], ack 5001, win 502, length 0']);
    r.expectState('ESTABLISHED');
  });

  test('an out-of-window SYN also gets a challenge ACK (Linux syn_challenge)', () => {
    const r = established();
    r.inject({ flags: 'S', seq: IRS + 5_000_000 });
    r.expectSegments(['Flags [.], ack 5001, win 502, length 0']);
  });

  // RFC 9293 §3.10.7.4 fourth step, SYN-RECEIVED: "If the connection was initiated with a
  // passive OPEN, then return this connection to the LISTEN state and return" (no challenge
  // ACK there); Linux tcp_check_req also answers it with RST (embryonic_reset).
  test('SYN in passive SYN-RECEIVED at another sequence number: RST, back to LISTEN', () => {
    const r = synReceived();
    r.inject({ flags: 'S', seq: IRS + 10 });
    expect(r.out()).toEqual(['Flags [R.], seq 0, ack 5011, win 0, length 0']);
    r.expectState('CLOSED');
    expect(r.c.error).toBeUndefined();
  });
});

describe('ACK validity (RFC 5961 §5)', () => {
  test('an ACK beyond SND.NXT is dropped and answered with an ACK', () => {
    const r = established();
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 500, payload: 10 });
    r.expectSegments(['Flags [.], ack 5001, win 502, length 0']);
    expect(r.c.readable).toBe(0);
    expect(r.c.counters.ackOutOfRange).toBe(1);
  });

  test('an ACK below SND.UNA − MAX.SND.WND is dropped with an ACK', () => {
    const r = established();
    r.inject({ flags: 'P.', seq: IRS + 1, ack: (ISS - 100_000) >>> 0, payload: 10 });
    r.expectSegments(['Flags [.], ack 5001, win 502, length 0']);
    expect(r.c.readable).toBe(0);
  });

  test('an old ACK within MAX.SND.WND is fine: its data is taken', () => {
    const r = established();
    r.write(100);
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 101 });
    r.out();
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 50, payload: 10 });
    expect(r.c.readable).toBe(10);
    expect(r.c.sndUna).toBe(ISS + 101);
  });

  test('a segment without ACK is dropped in a synchronized state', () => {
    const r = established();
    r.inject({ flags: 'P', seq: IRS + 1, payload: 10 });
    r.expectNothing();
    expect(r.c.readable).toBe(0);
  });
});

describe('sequence acceptability (RFC 9293 §3.10.7.4 first step)', () => {
  test('a segment entirely below RCV.NXT is ACKed, with a D-SACK block (RFC 2883)', () => {
    const r = established();
    r.inject({ flags: 'P.', seq: IRS - 99, ack: ISS + 1, payload: 50 });
    r.expectSegments(['Flags [.], ack 5001, win 502, options [nop,nop,sack 1 {4901:4951}], length 0']);
  });

  test('without SACK the duplicate is ACKed plainly', () => {
    const r = established({ sackOK: false });
    r.inject({ flags: 'P.', seq: IRS - 99, ack: ISS + 1, payload: 50 });
    r.expectSegments(['Flags [.], ack 5001, win 502, length 0']);
  });

  test('a segment beyond the window is ACKed and dropped', () => {
    const r = established();
    r.inject({ flags: 'P.', seq: IRS + 1 + 70_000, ack: ISS + 1, payload: 50 });
    r.expectSegments(['Flags [.], ack 5001, win 502, length 0']);
    expect(r.c.outOfOrderBytes).toBe(0);
  });

  test('pure out-of-window ACKs are answered at most once per 500 ms (Linux tcp_oow_rate_limited)', () => {
    const r = established();
    r.inject({ flags: '.', seq: IRS + 100_000, ack: ISS + 1 });
    r.inject({ flags: '.', seq: IRS + 100_000, ack: ISS + 1 });
    expect(r.out()).toHaveLength(1);
    expect(r.c.counters.oowAcksSkipped).toBe(1);
  });

  test('a segment overlapping RCV.NXT is trimmed: only new bytes are delivered', () => {
    const r = established();
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 1, payload: 'abcd' });
    r.inject({ flags: 'P.', seq: IRS + 3, ack: ISS + 1, payload: 'cdef' });
    expect(new TextDecoder().decode(r.read())).toBe('abcdef');
  });
});
