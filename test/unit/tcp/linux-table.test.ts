/**
 * DESIGN.md, "Linux defaults to mirror": one test per row that concerns one connection. (Rows
 * about listeners, ports and the TIME_WAIT table belong to src/stack.)
 */
import { describe, expect, test } from 'vitest';
import { DEFAULT_TCP_CONFIG } from '../../../src/tcp/config.js';
import { Connection } from '../../../src/tcp/connection.js';
import { closeWait, established, finWait2, IRS, ISS, Rig, seg, synReceived, synSent, timeWait } from './harness/index.js';

describe('DESIGN.md Linux table', () => {
  test('TIME_WAIT length 60 s (2 × MSL of 30 s)', () => {
    expect(DEFAULT_TCP_CONFIG.msl).toBe(30_000);
    const r = timeWait();
    expect(r.c.nextDeadline()).toBe(r.now + 60_000);
  });

  test('FIN_WAIT_2 timeout for orphans 60 s, at least 3.5 × RTO', () => {
    expect(finWait2().c.nextDeadline()).toBe(60_000);
    const r = finWait2({ config: { tcpFinTimeout: 100 } });
    expect(r.c.nextDeadline()! - r.now).toBe(Math.round(3.5 * r.c.rto));
  });

  test('initial RTO 1 s, min 200 ms, max 120 s', () => {
    const r = synSent();
    expect(r.c.rto).toBe(1000);
    expect(r.c.nextDeadline()).toBe(1000);
    const e = established({ config: { tcpTimestamps: false } });
    expect(e.c.rto).toBeGreaterThanOrEqual(200);
    e.write(10);
    e.advance(600_000);
    const at = e.log.map((s) => s.at);
    expect(Math.max(...at.slice(1).map((t, i) => t - at[i]!))).toBe(120_000);
  });

  test('SYNs at 0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s; ETIMEDOUT at 131 s', () => {
    const r = synSent();
    r.advance(131_000);
    expect(r.log.map((s) => s.at)).toEqual([0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67].map((s) => s * 1000));
    expect(r.c.error).toBe('ETIMEDOUT');
    expect(r.events.at(-1)?.at).toBe(131_000);
  });

  test('SYN-ACKs at 0, 1, 3, 7, 15, 31 s; the half-open request is dropped silently at 63 s', () => {
    const r = synReceived();
    r.advance(63_000);
    expect(r.log.map((s) => s.at)).toEqual([0, 1, 3, 7, 15, 31].map((s) => s * 1000));
    expect(r.events.at(-1)).toMatchObject({ to: 'CLOSED', at: 63_000 });
    expect(r.c.error).toBeUndefined();
  });

  test('tcp_retries2 = 15: about 924.6 s of retransmissions, then ETIMEDOUT', () => {
    expect(DEFAULT_TCP_CONFIG.tcpRetries2).toBe(15);
    const r = established({ config: { tcpTimestamps: false } });
    r.write(10);
    r.advance(3_000_000);
    expect(r.c.error).toBe('ETIMEDOUT');
  });

  test('delayed ACK min 40 ms / max 200 ms', () => {
    expect([DEFAULT_TCP_CONFIG.delackMin, DEFAULT_TCP_CONFIG.delackMax]).toEqual([40, 200]);
    const r = established({ config: { quickAcks: 0 } });
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 1, payload: 10 });
    r.advance(200);
    expect(r.log.at(-1)?.at).toBe(40);
  });

  test('initial congestion window 10 segments', () => {
    const r = established({ win: 502 });
    r.write(100_000);
    expect(r.out()).toHaveLength(10);
  });

  test('SYN at MTU 1500: win 64240 <mss 1460,sackOK,TS val … ecr 0,nop,wscale 7>; SYN-ACK window 65160', () => {
    const a = new Rig();
    a.c = Connection.connect(a.options({}, { tsOffset: 12345 }));
    a.drain();
    a.expectSegments(['Flags [S], seq 1000, win 64240, options [mss 1460,sackOK,TS val 12345 ecr 0,nop,wscale 7], length 0']);
    const p = new Rig();
    p.c = Connection.acceptSyn(seg({ flags: 'S', seq: IRS, win: 64240, mss: 1460, sackOK: true, ts: [1, 0], wscale: 7 }), p.options());
    p.drain();
    expect(p.out()[0]).toContain('win 65160');
  });

  test('new SYN for a 4-tuple in TIME_WAIT: accepted when newer; ISN = old snd_nxt + 65537', () => {
    const r = timeWait();
    expect(r.c.acceptsNewSyn(seg({ flags: 'S', seq: IRS + 10 }))).toBe(ISS + 2 + 65537);
  });

  test('RST in TIME_WAIT kills it (tcp_rfc1337 = 0); RFC 1337 behaviour is tcpRfc1337', () => {
    const a = timeWait();
    a.inject({ flags: 'R', seq: IRS + 2 });
    expect(a.c.stateName).toBe('CLOSED');
    const b = timeWait({ config: { tcpRfc1337: true } });
    b.inject({ flags: 'R', seq: IRS + 2 });
    expect(b.c.stateName).toBe('TIME-WAIT');
  });

  test('RFC 5961: exact RST resets, in-window RST or SYN gets a challenge ACK (1 per 500 ms), out-of-window RST dropped', () => {
    const r = established();
    r.inject({ flags: 'R', seq: IRS + 1_000_000 });
    r.expectNothing();
    r.inject({ flags: 'R', seq: IRS + 10 });
    r.inject({ flags: 'S', seq: IRS + 10 });
    expect(r.out()).toHaveLength(1);
    r.inject({ flags: 'R', seq: IRS + 1 });
    expect(r.c.error).toBe('ECONNRESET');
  });

  test('orphaned FIN_WAIT_2: a FIN later moves it to TIME_WAIT; data after close is answered with RST', () => {
    const a = finWait2();
    a.inject({ flags: 'F.', seq: IRS + 1, ack: ISS + 2 });
    expect(a.c.stateName).toBe('TIME-WAIT');
    const b = finWait2();
    b.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 2, payload: 1 });
    b.expectSegments(['Flags [R], seq 1002, win 0, length 0']);
  });

  test('CLOSE_WAIT writes after the peer is gone: the peer answers with RST; the next write fails with EPIPE', () => {
    const r = closeWait();
    r.write(1);
    r.inject({ flags: 'R', seq: IRS + 2 });
    expect(r.c.write(new Uint8Array(1), r.now)).toEqual({ error: 'EPIPE' });
  });
});
