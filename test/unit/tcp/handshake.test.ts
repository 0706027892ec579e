import { describe, expect, test } from 'vitest';
import { Connection } from '../../../src/tcp/connection.js';
import { TCP_SYN } from '../../../src/wire/tcp.js';
import { established, IRS, ISS, passiveEstablished, Rig, seg, synReceived, synSent } from './harness/index.js';

describe('active open (RFC 9293 §3.10.7.3)', () => {
  test('connect sends a SYN with Linux options in Linux order and window 64240', () => {
    const r = new Rig();
    r.c = Connection.connect(r.options());
    r.drain();
    r.expectSegments(['Flags [S], seq 1000, win 64240, options [mss 1460,sackOK,TS val 0 ecr 0,nop,wscale 7], length 0']);
    r.expectState('SYN-SENT');
    expect(r.transitions()).toEqual(['CLOSED>SYN-SENT']);
    expect(r.c.counters.activeOpens).toBe(1);
  });

  test('SYN without optional features: MSS only', () => {
    const r = new Rig();
    r.c = Connection.connect(r.options({ tcpSack: false, tcpTimestamps: false, tcpWindowScaling: false }));
    r.drain();
    r.expectSegments(['Flags [S], seq 1000, win 64240, options [mss 1460], length 0']);
  });

  test('SYN-ACK → ESTABLISHED and an immediate ACK (timestamps echoed)', () => {
    const r = synSent();
    r.now = 10;
    r.inject({ flags: 'S.', seq: IRS, ack: ISS + 1, mss: 1460, sackOK: true, ts: [777, 0], wscale: 7 });
    r.expectSegments(['Flags [.], ack 5001, win 502, options [nop,nop,TS val 10 ecr 777], length 0']);
    r.expectState('ESTABLISHED');
    expect(r.transitions()).toEqual(['CLOSED>SYN-SENT', 'SYN-SENT>ESTABLISHED']);
    expect(r.c.timestampsEnabled).toBe(true);
    expect(r.c.sackEnabled).toBe(true);
    expect(r.c.sndWscale).toBe(7);
    expect(r.c.sndUna).toBe(ISS + 1);
    expect(r.c.rcvNxt).toBe(IRS + 1);
    expect(r.c.srtt).toBe(10);
    expect(r.c.nextDeadline()).toBeUndefined();
  });

  test('the SYN-ACK window is not scaled (RFC 7323 §2.2); later windows are', () => {
    const r = synSent();
    r.inject({ flags: 'S.', seq: IRS, ack: ISS + 1, win: 1000, mss: 1460, wscale: 3 });
    expect(r.c.sndWnd).toBe(1000);
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, win: 1000 });
    expect(r.c.sndWnd).toBe(8000);
  });

  test('window scale is both-or-neither: a SYN-ACK without it turns scaling off both ways', () => {
    const r = synSent();
    r.inject({ flags: 'S.', seq: IRS, ack: ISS + 1, mss: 1460 });
    expect(r.c.sndWscale).toBe(0);
    expect(r.c.rcvWscale).toBe(0);
    r.expectSegments(['Flags [.], ack 5001, win 64240, length 0']);
  });

  test('timestamps are both-or-neither, and so is SACK', () => {
    const r = synSent();
    r.inject({ flags: 'S.', seq: IRS, ack: ISS + 1, mss: 1460, wscale: 7 });
    expect(r.c.timestampsEnabled).toBe(false);
    expect(r.c.sackEnabled).toBe(false);
  });

  test('the peer MSS clamps ours; 536 when absent (RFC 9293 §3.7.1)', () => {
    const a = synSent();
    a.inject({ flags: 'S.', seq: IRS, ack: ISS + 1, mss: 1000 });
    expect(a.c.sendMss).toBe(1000);
    const b = synSent();
    b.inject({ flags: 'S.', seq: IRS, ack: ISS + 1 });
    expect(b.c.sendMss).toBe(536);
    const c = synSent();
    c.inject({ flags: 'S.', seq: IRS, ack: ISS + 1, mss: 9000, ts: [1, 0] });
    expect(c.c.sendMss).toBe(1448);
  });

  test('a peer MSS below tcp_min_snd_mss (48) is raised to it: MSS 1 does not make a segment per byte (found by fuzzing)', () => {
    const r = synSent();
    r.inject({ flags: 'S.', seq: IRS, ack: ISS + 1, mss: 1 });
    expect(r.c.sendMss).toBe(48);
    r.out();
    r.write(140);
    // Initial window 10 × 48 bytes covers it: three segments, not 140.
    r.expectSegments([
      'Flags [.], seq 1001:1049, ack 5001, win 64240, length 48',
      'Flags [.], seq 1049:1097, ack 5001, win 64240, length 48',
      'Flags [P.], seq 1097:1141, ack 5001, win 64240, length 44',
    ]);
    const ts = synSent();
    ts.inject({ flags: 'S.', seq: IRS, ack: ISS + 1, mss: 1, ts: [1, 0] });
    expect(ts.c.sendMss).toBe(36);
  });

  test('a window scale above 14 is used as 14 (RFC 7323 §2.3)', () => {
    const r = synSent();
    r.inject({ flags: 'S.', seq: IRS, ack: ISS + 1, mss: 1460, wscale: 20 });
    expect(r.c.sndWscale).toBe(14);
  });

  test('SYN-ACK with an unacceptable ACK is answered with RST <SEQ=SEG.ACK>', () => {
    const r = synSent();
    r.inject({ flags: 'S.', seq: IRS, ack: ISS + 5, mss: 1460 });
    r.expectSegments(['Flags [R], seq 1005, win 0, length 0']);
    r.expectState('SYN-SENT');
    r.inject({ flags: 'S.', seq: IRS, ack: ISS, mss: 1460 });
    r.expectSegments(['Flags [R], seq 1000, win 0, length 0']);
  });

  test('RST with an acceptable ACK → CLOSED, ECONNREFUSED', () => {
    const r = synSent();
    r.inject({ flags: 'R.', seq: 0, ack: ISS + 1 });
    r.expectNothing();
    r.expectState('CLOSED');
    expect(r.c.error).toBe('ECONNREFUSED');
    expect(r.c.nextDeadline()).toBeUndefined();
    expect(r.c.counters.attemptFails).toBe(1);
  });

  test('RST without ACK, or with a bad ACK, is dropped in SYN-SENT', () => {
    const r = synSent();
    r.inject({ flags: 'R', seq: 0 });
    r.inject({ flags: 'R.', seq: 0, ack: ISS + 7 });
    r.expectNothing();
    r.expectState('SYN-SENT');
  });

  test('a segment with neither SYN nor RST is dropped in SYN-SENT', () => {
    const r = synSent();
    r.inject({ flags: '.', seq: IRS, ack: ISS + 1 });
    r.expectNothing();
    r.expectState('SYN-SENT');
  });

  test('data queued in SYN-SENT goes out after the handshake', () => {
    const r = synSent();
    r.write('hello');
    r.expectNothing();
    r.inject({ flags: 'S.', seq: IRS, ack: ISS + 1, mss: 1460, wscale: 7 });
    r.expectSegments(['Flags [P.], seq 1001:1006, ack 5001, win 502, length 5']);
  });

  test('close() in SYN-SENT drops the connection silently', () => {
    const r = synSent();
    r.close();
    r.expectNothing();
    r.expectState('CLOSED');
    expect(r.c.error).toBeUndefined();
  });
});

describe('SYN retransmission (DESIGN.md table)', () => {
  test('Linux 6.5+: SYNs at 0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s then ETIMEDOUT at 131 s', () => {
    const r = synSent();
    const start = r.log.length;
    r.advance(130_999);
    r.expectState('SYN-SENT');
    r.advance(1);
    r.expectState('CLOSED');
    expect(r.c.error).toBe('ETIMEDOUT');
    expect(r.log.slice(start).map((s) => s.at)).toEqual([1, 2, 3, 4, 5, 7, 11, 19, 35, 67].map((s) => s * 1000));
    expect(r.log.every((s) => s.seg.flags === TCP_SYN && s.seg.seq === ISS)).toBe(true);
    expect(r.events.filter((e) => e.type === 'retransmission')).toHaveLength(10);
    const last = r.events.at(-1);
    expect(last).toMatchObject({ type: 'state', from: 'SYN-SENT', to: 'CLOSED', cause: 'timeout', at: 131_000 });
  });

  test('classic schedule (tcpSynLinearTimeouts 0): 0, 1, 3, 7, 15, 31, 63 s, ETIMEDOUT at 127 s', () => {
    const r = synSent({ config: { tcpSynLinearTimeouts: 0 } });
    r.advance(126_999);
    r.expectState('SYN-SENT');
    r.advance(1);
    expect(r.c.error).toBe('ETIMEDOUT');
    expect(r.log.slice(1).map((s) => s.at / 1000)).toEqual([1, 3, 7, 15, 31, 63]);
  });

  test('a retransmitted SYN carries a fresh TSval', () => {
    const r = synSent();
    r.advance(1000);
    r.expectSegments(['Flags [S], seq 1000, win 64240, options [mss 1460,sackOK,TS val 1000 ecr 0,nop,wscale 7], length 0']);
  });

  test('no RTT sample from a retransmitted SYN without timestamps (Karn)', () => {
    const r = synSent({ config: { tcpTimestamps: false } });
    r.advance(1500);
    r.inject({ flags: 'S.', seq: IRS, ack: ISS + 1, mss: 1460 });
    expect(r.c.srtt).toBeUndefined();
    expect(r.c.rto).toBe(3000); // RFC 6298 §5.7
  });
});

describe('passive open (RFC 9293 §3.10.7.2)', () => {
  test('acceptSyn answers with a SYN-ACK: window 65160, options echo the SYN', () => {
    const r = new Rig();
    r.c = Connection.acceptSyn(seg({ flags: 'S', seq: IRS, win: 64240, mss: 1460, sackOK: true, ts: [42, 0], wscale: 7 }), r.options());
    r.drain();
    r.expectSegments(['Flags [S.], seq 1000, ack 5001, win 65160, options [mss 1460,sackOK,TS val 0 ecr 42,nop,wscale 7], length 0']);
    r.expectState('SYN-RECEIVED');
    expect(r.transitions()).toEqual(['LISTEN>SYN-RECEIVED']);
  });

  test('SYN-ACK offers only what the SYN offered', () => {
    const r = new Rig();
    r.c = Connection.acceptSyn(seg({ flags: 'S', seq: IRS, win: 8192, mss: 1400 }), r.options());
    r.drain();
    r.expectSegments(['Flags [S.], seq 1000, ack 5001, win 64240, options [mss 1460], length 0']);
    expect(r.c.sendMss).toBe(1400);
  });

  test('the final ACK → ESTABLISHED', () => {
    const r = synReceived();
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1 });
    r.expectNothing();
    r.expectState('ESTABLISHED');
    expect(r.c.sndWnd).toBe(502 * 128);
  });

  test('a final ACK with a bad ACK number is answered with RST', () => {
    const r = synReceived();
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 9 });
    r.expectSegments(['Flags [R], seq 1009, win 0, length 0']);
    r.expectState('SYN-RECEIVED');
  });

  test('data on the final ACK is delivered', () => {
    const r = synReceived();
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 1, payload: 'GET /' });
    r.expectState('ESTABLISHED');
    expect(new TextDecoder().decode(r.read())).toBe('GET /');
  });

  test('SYN-ACK retransmitted at 1, 3, 7, 15, 31 s, dropped silently at 63 s', () => {
    const r = synReceived();
    r.advance(62_999);
    r.expectState('SYN-RECEIVED');
    expect(r.out()).toHaveLength(5);
    expect(r.log.slice(1).map((s) => s.at / 1000)).toEqual([1, 3, 7, 15, 31]);
    r.advance(1);
    r.expectState('CLOSED');
    r.expectNothing();
    expect(r.c.error).toBeUndefined();
  });

  test('a retransmitted SYN gets the SYN-ACK again (Linux tcp_check_req)', () => {
    const r = synReceived();
    r.now = 300;
    r.inject({ flags: 'S', seq: IRS, mss: 1460, sackOK: true, wscale: 7 });
    r.expectSegments(['Flags [S.], seq 1000, ack 5001, win 64240, options [mss 1460,nop,nop,sackOK,nop,wscale 7], length 0']);
  });

  test('RST in passive SYN-RECEIVED returns quietly (to LISTEN: the stack keeps the listener)', () => {
    const r = synReceived();
    r.inject({ flags: 'R', seq: IRS + 1 });
    r.expectState('CLOSED');
    expect(r.c.error).toBeUndefined();
  });

  test('ESTABLISHED by passive open sends data with the negotiated scale', () => {
    const r = passiveEstablished();
    r.write(10);
    r.expectSegments(['Flags [P.], seq 1001:1011, ack 5001, win 502, length 10']);
  });
});

describe('simultaneous open (RFC 9293 §3.5, figure 7)', () => {
  test('SYN-SENT + bare SYN → SYN-RECEIVED (SYN-ACK with the same ISS) → ESTABLISHED', () => {
    const r = synSent({ config: { tcpTimestamps: false } });
    r.inject({ flags: 'S', seq: IRS, mss: 1460, sackOK: true, wscale: 7 });
    r.expectSegments(['Flags [S.], seq 1000, ack 5001, win 64240, options [mss 1460,nop,nop,sackOK,nop,wscale 7], length 0']);
    r.expectState('SYN-RECEIVED');
    // The peer's SYN-ACK (our SYN's ACK) crosses ours: its SYN is old news, its ACK completes
    // the handshake (Linux tcp_validate_incoming), and we ACK it.
    r.inject({ flags: 'S.', seq: IRS, ack: ISS + 1, mss: 1460, sackOK: true, wscale: 7 });
    r.expectSegments(['Flags [.], ack 5001, win 502, length 0']);
    r.expectState('ESTABLISHED');
    // Its ACK of our SYN-ACK then changes nothing.
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1 });
    r.expectNothing().expectState('ESTABLISHED');
    expect(r.transitions()).toEqual(['CLOSED>SYN-SENT', 'SYN-SENT>SYN-RECEIVED', 'SYN-RECEIVED>ESTABLISHED']);
  });

  test('simultaneous open completed by a bare ACK', () => {
    const r = synSent({ config: { tcpTimestamps: false } });
    r.inject({ flags: 'S', seq: IRS, mss: 1460 });
    r.out();
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1 });
    r.expectState('ESTABLISHED').expectNothing();
  });

  test('RST in active SYN-RECEIVED → ECONNREFUSED', () => {
    const r = synSent();
    r.inject({ flags: 'S', seq: IRS, mss: 1460 });
    r.inject({ flags: 'R', seq: IRS + 1 });
    r.expectState('CLOSED');
    expect(r.c.error).toBe('ECONNREFUSED');
  });

  test('SYN-ACKs keep the SYN schedule in simultaneous SYN-RECEIVED', () => {
    const r = synSent({ config: { tcpTimestamps: false } });
    r.inject({ flags: 'S', seq: IRS, mss: 1460 });
    r.out();
    r.advance(1000);
    r.expectSegments(['Flags [S.], seq 1000, ack 5001, win 64240, options [mss 1460], length 0']);
  });
});

test('fixtures agree: established() has no timer and nothing to send', () => {
  const r = established();
  r.expectNothing();
  expect(r.c.nextDeadline()).toBeUndefined();
  expect(r.c.sndNxt).toBe(ISS + 1);
});

describe('SYN-ACK with data and FIN', () => {
  test('data on the SYN-ACK is delivered after the SYN; a FIN on it leads to CLOSE-WAIT', () => {
    const r = synSent({ config: { tcpTimestamps: false } });
    r.inject({ flags: 'SFP.', seq: IRS, ack: ISS + 1, mss: 1460, payload: 'hi' });
    expect(new TextDecoder().decode(r.read())).toBe('hi');
    expect(r.c.peerClosed).toBe(true);
    r.expectState('CLOSE-WAIT');
    expect(r.c.rcvNxt).toBe(IRS + 4);
  });
});
