import { describe, expect, test } from 'vitest';
import { Connection } from '../../../src/tcp/connection.js';
import { bytes, established, IRS, ISS, passiveEstablished, Rig, synSent } from './harness/index.js';

const NO_QUICKACK = { config: { quickAcks: 0 } } as const;

describe('receiving: delayed ACK (Linux: 40 ms minimum, every second full segment)', () => {
  test('quick ACK mode after the handshake: the first data segments are ACKed at once', () => {
    const r = established();
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 1, payload: 100 });
    r.expectSegments(['Flags [.], ack 5101, win 502, length 0']);
  });

  test('one segment waits for the delayed-ACK timer: nothing at 39 ms, the ACK at 40 ms', () => {
    const r = established(NO_QUICKACK);
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 1, payload: 1460 });
    r.advance(39);
    r.expectNothing();
    r.advance(1);
    r.expectSegments(['Flags [.], ack 6461, win 525, length 0']);
    expect(r.pending).toHaveLength(0);
    expect(r.log.at(-1)?.at).toBe(40);
    expect(r.c.counters.delayedAcks).toBe(1);
  });

  test('the second full-sized segment is ACKed at once (RFC 5681 §4.2)', () => {
    const r = established(NO_QUICKACK);
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, payload: 1460 });
    r.expectNothing();
    r.inject({ flags: '.', seq: IRS + 1461, ack: ISS + 1, payload: 1460 });
    r.expectSegments(['Flags [.], ack 7921, win 548, length 0']);
    expect(r.c.nextDeadline()).toBeUndefined();
  });

  test('the delayed-ACK timeout never exceeds delackMax (200 ms)', () => {
    const r = established({ config: { quickAcks: 0, delackMin: 40, delackMax: 200 } });
    for (let i = 0; i < 5; i++) {
      r.inject({ flags: 'P.', seq: IRS + 1 + i * 10, ack: ISS + 1, payload: 10 });
      r.advance(300);
    }
    const acks = r.log.map((s) => s.at);
    for (let i = 0; i < acks.length; i++) expect(acks[i]! - i * 300).toBeLessThanOrEqual(200);
  });

  test('out-of-order data is ACKed at once with a SACK block; filling the hole too', () => {
    const r = established(NO_QUICKACK);
    r.inject({ flags: '.', seq: IRS + 1461, ack: ISS + 1, payload: 1460 });
    // With SACK, out-of-order data opens the window too (tcp_data_queue_ofo → tcp_grow_window):
    // 64240 + 2 × 1460.
    r.expectSegments(['Flags [.], ack 5001, win 525, options [nop,nop,sack 1 {6461:7921}], length 0']);
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, payload: 1460 });
    r.expectSegments(['Flags [.], ack 7921, win 548, length 0']);
    expect(r.c.readable).toBe(2920);
  });

  test('SACK blocks: most recent first, at most 4 without timestamps', () => {
    const r = established(NO_QUICKACK);
    for (let i = 1; i <= 5; i++) r.inject({ flags: '.', seq: IRS + 1 + i * 200, ack: ISS + 1, payload: 100 });
    const last = r.out().at(-1);
    // Each out-of-order segment opened the window by 2 × advmss (64240 + 5 × 2920).
    expect(last).toBe('Flags [.], ack 5001, win 616, options [nop,nop,sack 4 {6001:6101}{5801:5901}{5601:5701}{5401:5501}], length 0');
  });

  test('SACK blocks: at most 3 with timestamps', () => {
    const r = established({ ...NO_QUICKACK, timestamps: true });
    for (let i = 1; i <= 4; i++) r.inject({ flags: '.', seq: IRS + 1 + i * 200, ack: ISS + 1, payload: 100, ts: [101, 0] });
    const last = r.out().at(-1);
    // 64240 + 4 × 2 × 1448 (advmss less the timestamps).
    expect(last).toBe('Flags [.], ack 5001, win 593, options [nop,nop,TS val 0 ecr 100,nop,nop,sack 3 {5801:5901}{5601:5701}{5401:5501}], length 0');
  });

  test('no SACK blocks when SACK was not negotiated', () => {
    const r = established({ ...NO_QUICKACK, sackOK: false });
    r.inject({ flags: '.', seq: IRS + 1461, ack: ISS + 1, payload: 1460 });
    r.expectSegments(['Flags [.], ack 5001, win 502, length 0']);
  });

  test('data is delivered once and in order, across reordering and duplicates', () => {
    const r = established();
    const data = bytes(5000);
    const pieces: [number, number][] = [[1000, 2000], [0, 500], [3000, 5000], [400, 1200], [0, 1000], [2000, 3100]];
    for (const [a, b] of pieces) r.inject({ flags: '.', seq: IRS + 1 + a, ack: ISS + 1, payload: data.subarray(a, b) });
    expect(r.read()).toEqual(data);
    expect(r.c.rcvNxt).toBe(IRS + 1 + 5000);
  });
});

describe('receive window', () => {
  test('a full buffer advertises a zero window; reading reopens it with a window update', () => {
    const r = established({ wscale: null, config: { receiveBufferSize: 4096, quickAcks: 0 } });
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, payload: 1460 });
    r.inject({ flags: '.', seq: IRS + 1461, ack: ISS + 1, payload: 1460 });
    r.expectSegments(['Flags [.], ack 7921, win 0, length 0']);
    expect(r.c.rcvWnd).toBe(0);
    // Receiver SWS avoidance: 1176 free bytes (< min(MSS, buffer/2)) are not advertised.
    r.read(1);
    r.expectNothing();
    r.read();
    // tcp_init_buffer_space keeps one segment of a 4096-byte buffer out of the window.
    r.expectSegments(['Flags [.], ack 7921, win 2920, length 0']);
    expect(r.c.counters.windowUpdates).toBe(1);
  });

  test('the advertised window never shrinks: its right edge only moves forward', () => {
    const r = established({ wscale: null, config: { receiveBufferSize: 8192 } });
    let edge = r.c.rcvNxt + r.c.rcvWnd;
    for (let i = 0; i < 12; i++) {
      r.inject({ flags: 'P.', seq: r.c.rcvNxt, ack: ISS + 1, payload: 700 });
      const next = r.c.rcvNxt + r.c.rcvWnd;
      expect(next).toBeGreaterThanOrEqual(edge);
      edge = next;
      if (i % 3 === 2) r.read(500);
    }
  });

  test('a zero-window probe at RCV.NXT is acceptable and ACKed with the zero window', () => {
    const r = established({ wscale: null, config: { receiveBufferSize: 4096, quickAcks: 0 } });
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, payload: 1460 });
    r.inject({ flags: '.', seq: IRS + 1461, ack: ISS + 1, payload: 1460 });
    r.out();
    r.inject({ flags: '.', seq: IRS + 2920, ack: ISS + 1 }); // Linux probe: SND.UNA − 1
    r.expectSegments(['Flags [.], ack 7921, win 0, length 0']);
    r.inject({ flags: '.', seq: IRS + 2921, ack: ISS + 1, payload: 1 }); // BSD probe: one byte
    r.expectSegments(['Flags [.], ack 7921, win 0, length 0']);
  });

  test('window scale 7: the field is the window >> 7, rounded up like Linux', () => {
    const r = passiveEstablished({ timestamps: true });
    r.write(1);
    expect(r.out()[0]).toContain('win 510'); // 65160 / 128 = 509.06
  });
});

describe('sending', () => {
  test('the initial window is 10 segments (RFC 6928): the 11th waits for an ACK', () => {
    const r = established();
    r.write(11 * 1460);
    expect(r.out()).toHaveLength(10);
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1 + 1460 });
    expect(r.out()).toEqual(['Flags [P.], seq 15601:17061, ack 5001, win 502, length 1460']);
  });

  test('the peer window limits what is sent; a window update releases the rest', () => {
    const r = established({ wscale: null, win: 3000 });
    r.write(5000);
    expect(r.out()).toEqual(['Flags [.], seq 1001:2461, ack 5001, win 64240, length 1460', 'Flags [.], seq 2461:3921, ack 5001, win 64240, length 1460']);
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 2921, win: 3000 });
    expect(r.out()).toEqual(['Flags [.], seq 3921:5381, ack 5001, win 64240, length 1460', 'Flags [P.], seq 5381:6001, ack 5001, win 64240, length 620']);
  });

  test('cumulative ACKs free the send buffer', () => {
    const r = established();
    r.write(3000);
    expect(r.c.sendQueued).toBe(3000);
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1461 });
    expect(r.c.sendQueued).toBe(1540);
    expect(r.c.sndUna).toBe(ISS + 1461);
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 3001 });
    expect(r.c.sendQueued).toBe(0);
    expect(r.c.nextDeadline()).toBeUndefined();
  });

  test('send buffer backpressure: write takes what fits', () => {
    const r = established({ config: { sendBufferSize: 1000 } });
    expect(r.write(1500)).toBe(1000);
    expect(r.c.writable).toBe(0);
    expect(r.write(10)).toBe(0);
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1001 });
    expect(r.c.writable).toBe(1000);
  });

  test('Nagle: a second small segment waits until the first is ACKed', () => {
    const r = established();
    r.write(100);
    r.write(100);
    expect(r.out()).toEqual(['Flags [P.], seq 1001:1101, ack 5001, win 502, length 100']);
    r.write(100);
    r.expectNothing();
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 101 });
    expect(r.out()).toEqual(['Flags [P.], seq 1101:1301, ack 5001, win 502, length 200']);
  });

  test('Nagle never holds full-sized segments', () => {
    const r = established();
    r.write(100);
    r.write(1460);
    expect(r.out()).toEqual(['Flags [P.], seq 1001:1101, ack 5001, win 502, length 100', 'Flags [P.], seq 1101:2561, ack 5001, win 502, length 1460']);
  });

  test('noDelay (TCP_NODELAY) sends small segments at once', () => {
    const r = established({ config: { noDelay: true } });
    r.write(100);
    r.write(100);
    expect(r.out()).toHaveLength(2);
  });

  test('SND.WND follows SND.WL1/SND.WL2: an older segment does not update the window', () => {
    const r = established();
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 1, payload: 10, win: 200 });
    expect(r.c.sndWnd).toBe(200 * 128);
    r.inject({ flags: 'P.', seq: IRS + 11, ack: ISS + 1, payload: 10, win: 300 });
    expect(r.c.sndWnd).toBe(300 * 128);
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 1, payload: 10, win: 50 });
    expect(r.c.sndWnd).toBe(300 * 128);
    expect(r.c.sndWl1).toBe(IRS + 11);
    expect(r.c.maxSndWnd).toBe(65535);
  });

  test('read() with no data returns an empty array', () => {
    const r = established();
    expect(r.read()).toHaveLength(0);
  });
});

describe('timestamps and PAWS (RFC 7323)', () => {
  test('every segment carries TSval (our clock) and TSecr = TS.Recent', () => {
    const r = established({ timestamps: true });
    r.advance(5);
    r.write(10);
    r.expectSegments(['Flags [P.], seq 1001:1011, ack 5001, win 502, options [nop,nop,TS val 5 ecr 100], length 10']);
  });

  test('TS.Recent follows in-order segments (SEG.SEQ ≤ Last.ACK.sent)', () => {
    const r = established({ timestamps: true });
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 1, payload: 10, ts: [150, 0] });
    expect(r.c.tsRecent).toBe(150);
    // Out of order: beyond Last.ACK.sent, TS.Recent stays.
    r.inject({ flags: 'P.', seq: IRS + 100, ack: ISS + 1, payload: 10, ts: [160, 0] });
    expect(r.c.tsRecent).toBe(150);
  });

  test('PAWS: a segment with an older TSval is dropped and ACKed', () => {
    const r = established({ timestamps: true });
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 1, payload: 10, ts: [150, 0] });
    r.out();
    r.inject({ flags: 'P.', seq: IRS + 11, ack: ISS + 1, payload: 10, ts: [140, 0] });
    r.expectSegments(['Flags [.], ack 5011, win 502, options [nop,nop,TS val 0 ecr 150], length 0']);
    expect(r.c.readable).toBe(10);
    expect(r.c.counters.pawsEstabRejected).toBe(1);
  });

  test('PAWS does not apply to RST', () => {
    const r = established({ timestamps: true });
    r.inject({ flags: 'R', seq: IRS + 1, ts: [1, 0] });
    r.expectState('CLOSED');
  });

  test('PAWS handles TSval wrap-around (mod 2^32 comparison)', () => {
    const r = established({ timestamps: true });
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 1, payload: 1, ts: [0x70000000, 0] });
    r.inject({ flags: 'P.', seq: IRS + 2, ack: ISS + 1, payload: 1, ts: [0xe0000000, 0] });
    r.inject({ flags: 'P.', seq: IRS + 3, ack: ISS + 1, payload: 1, ts: [5, 0] });
    expect(r.c.readable).toBe(3);
    expect(r.c.tsRecent).toBe(5);
  });

  test('RTT samples come from TSecr', () => {
    const r = established({ timestamps: true });
    r.advance(10);
    r.write(100);
    r.advance(30);
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 101, ts: [140, 10] });
    expect(r.events.filter((e) => e.type === 'rtt-sample').at(-1)).toMatchObject({ rtt: 30, at: 40 });
  });
});

describe('D-SACK (RFC 2883)', () => {
  test('a partly duplicate segment: the D-SACK block first, then the SACK blocks', () => {
    const r = established();
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, payload: 100 });
    r.inject({ flags: '.', seq: IRS + 301, ack: ISS + 1, payload: 100 });
    r.out();
    r.inject({ flags: '.', seq: IRS + 51, ack: ISS + 1, payload: 100 });
    // (525: the out-of-order segment opened the window by 2 × advmss.)
    r.expectSegments(['Flags [.], ack 5151, win 525, options [nop,nop,sack 2 {5051:5101}{5301:5401}], length 0']);
    // Reported once only.
    r.inject({ flags: '.', seq: IRS + 501, ack: ISS + 1, payload: 10 });
    r.expectSegments(['Flags [.], ack 5151, win 548, options [nop,nop,sack 2 {5501:5511}{5301:5401}], length 0']);
  });
});

describe('sequence numbers anywhere in the 2^32 space', () => {
  test.each([0, 0x7ffffff0, 0x80000000, 0xfffffff0, 0xffffffff])('IRS %i: data across the wrap is received in order', (irs) => {
    const r = synSent({ config: { quickAcks: 0 } });
    r.inject({ flags: 'S.', seq: irs, ack: ISS + 1, mss: 1460, wscale: 7, sackOK: true });
    r.out();
    expect(r.c.rcvWnd).toBe(64256); // 502 << 7
    const first = (irs + 1) >>> 0;
    r.inject({ flags: '.', seq: (first + 1460) >>> 0, ack: ISS + 1, payload: bytes(1460, 1460) });
    r.inject({ flags: '.', seq: first, ack: ISS + 1, payload: bytes(1460) });
    expect(r.read()).toEqual(bytes(2920));
    expect(r.c.rcvNxt).toBe((first + 2920) >>> 0);
  });

  test.each([0x7fffffff, 0xfffffff0])('ISS %i: our data across the wrap is acknowledged', (iss) => {
    const r = new Rig();
    r.c = Connection.connect(r.options({}, { iss }));
    r.drain();
    r.inject({ flags: 'S.', seq: IRS, ack: (iss + 1) >>> 0, mss: 1460, wscale: 7 });
    r.write(5000);
    r.inject({ flags: '.', seq: IRS + 1, ack: (iss + 5001) >>> 0 });
    expect(r.c.sendQueued).toBe(0);
    expect(r.c.nextDeadline()).toBeUndefined();
  });
});

describe('socket options at run time', () => {
  test('setNoDelay(true) pushes what Nagle holds', () => {
    const r = established();
    r.write(100);
    r.write(100);
    expect(r.out()).toHaveLength(1);
    r.c.setNoDelay(true, r.now);
    r.drain();
    r.expectSegments(['Flags [P.], seq 1101:1201, ack 5001, win 502, length 100']);
    r.c.setNoDelay(false, r.now);
    r.write(10);
    r.expectNothing();
  });

  test('setKeepAlive(true, idle) starts probing after idle; false stops it', () => {
    const r = established({ config: { tcpTimestamps: false } });
    r.c.setKeepAlive(true, 5000, r.now);
    expect(r.c.nextDeadline()).toBe(r.now + 5000);
    r.advance(5000);
    r.expectSegments(['Flags [.], ack 5001, win 502, length 0']);
    r.c.setKeepAlive(false, undefined, r.now);
    expect(r.c.nextDeadline()).toBeUndefined();
  });
});
