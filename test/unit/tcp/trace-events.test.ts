// What the engine reports for the trace beyond state changes: windows closing and opening,
// segments dropped with their reason, and the Linux counters behind nstat's TCPSynRetrans,
// TCPAbortOnTimeout, TCPZeroWindowDrop, and TW/TWKilled for an orphaned FIN-WAIT-2.
import { describe, expect, test } from 'vitest';
import type { DropEvent, WindowEvent } from '../../../src/tcp/events.js';
import { TCP_SYN } from '../../../src/wire/tcp.js';
import { established, finWait1, IRS, ISS, synSent } from './harness/index.js';

const drops = (events: readonly { type: string }[]): Omit<DropEvent, 'at'>[] =>
  (events.filter((e) => e.type === 'drop') as DropEvent[]).map(({ at: _at, ...d }) => d);
const windows = (events: readonly { type: string }[]): string[] =>
  (events.filter((e) => e.type === 'window') as WindowEvent[]).map((w) => `${w.direction} ${w.change} ${w.window}`);

describe('drops, with their reason', () => {
  test('out of window: a segment beyond the window is dropped (and ACKed)', () => {
    const r = established();
    r.inject({ flags: 'P.', seq: IRS + 1 + 1_000_000, ack: ISS + 1, payload: 10 });
    expect(r.out()).toEqual(['Flags [.], ack 5001, win 502, length 0']);
    expect(drops(r.events)).toEqual([{ type: 'drop', reason: 'out-of-window', seq: IRS + 1 + 1_000_000, len: 10 }]);
  });

  test('PAWS: an older TSval', () => {
    const r = established({ timestamps: true });
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 1, payload: 10, ts: [150, 0] });
    r.inject({ flags: 'P.', seq: IRS + 11, ack: ISS + 1, payload: 10, ts: [140, 0] });
    expect(drops(r.events)).toEqual([{ type: 'drop', reason: 'paws', seq: IRS + 11, len: 10 }]);
  });

  test('bad ACK: one for data never sent (RFC 5961 §5.2), and in SYN-SENT one not for our SYN', () => {
    const r = established();
    r.inject({ flags: 'P.', seq: IRS + 1, ack: ISS + 500, payload: 10 });
    expect(drops(r.events)).toEqual([{ type: 'drop', reason: 'bad-ack', seq: IRS + 1, len: 10 }]);
    const s = synSent();
    s.inject({ flags: 'S.', seq: IRS, ack: ISS + 7 });
    expect(s.out()).toEqual(['Flags [R], seq 1007, win 0, length 0']);
    expect(drops(s.events)).toEqual([{ type: 'drop', reason: 'bad-ack', seq: IRS, len: 1 }]);
    expect(r.c.counters.ackOutOfRange + s.c.counters.badHandshakeAcks).toBe(2);
  });

  test('no ACK bit on a synchronized connection', () => {
    const r = established();
    r.inject({ flags: 'P', seq: IRS + 1, payload: 5 });
    expect(r.c.readable).toBe(0);
    expect(drops(r.events)).toEqual([{ type: 'drop', reason: 'no-ack', seq: IRS + 1, len: 5 }]);
    expect(r.c.counters.noAckDrops).toBe(1);
  });
});

describe('windows closing and opening', () => {
  test('ours: a full buffer advertises zero, data beyond it is dropped (TCPZeroWindowDrop), reading reopens it', () => {
    const r = established({ wscale: null, config: { receiveBufferSize: 4096, quickAcks: 0 } });
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, payload: 1460 });
    r.inject({ flags: '.', seq: IRS + 1461, ack: ISS + 1, payload: 1460 });
    expect(r.out()).toEqual(['Flags [.], ack 7921, win 0, length 0']);
    r.inject({ flags: '.', seq: IRS + 2921, ack: ISS + 1, payload: 100 });
    expect(r.c.counters.zeroWindowDrops).toBe(1);
    expect(drops(r.events)).toEqual([{ type: 'drop', reason: 'zero-window', seq: IRS + 2921, len: 100 }]);
    r.read();
    // 2920: tcp_init_buffer_space keeps one segment of the 4096 bytes back.
    expect(windows(r.events)).toEqual(['receive zero 0', 'receive open 2920']);
  });

  test("the peer's: a zero window, then a window update", () => {
    const r = established({ wscale: null });
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, win: 0 });
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, win: 0 });
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, win: 8000 });
    expect(windows(r.events)).toEqual(['send zero 0', 'send open 8000']);
  });
});

describe("the counters behind nstat's names", () => {
  test('TCPSynRetrans counts every SYN sent again; TCPAbortOnTimeout the ETIMEDOUT at the end', () => {
    // tcp_syn_retries 2 with Linux 6.5's linear timeouts: SYNs at 0, 1, 2, 3, 4, 5 s, ETIMEDOUT at 7 s.
    const r = synSent({ config: { tcpSynRetries: 2 } });
    r.advance(10_000);
    expect(r.c.error).toBe('ETIMEDOUT');
    expect(r.log.filter((s) => s.seg.flags & TCP_SYN)).toHaveLength(6);
    expect([r.c.counters.synRetrans, r.c.counters.abortOnTimeout, r.c.counters.attemptFails]).toEqual([5, 1, 1]);
  });

  // TW / TWKilled for TIME-WAIT itself are counted by the stack's TIME-WAIT table
  // (test/unit/stack/time-wait-sockets.test.ts), which knows about tcp_max_tw_buckets.
  test('entering TIME-WAIT leaves TW to the stack: the engine counts none', () => {
    const r = finWait1({}, false);
    r.inject({ flags: 'F.', seq: IRS + 1, ack: ISS + 2 });
    r.expectState('TIME-WAIT');
    expect([r.c.counters.timeWaits, r.c.counters.timeWaitsKilled]).toEqual([0, 0]);
  });

  test('an orphaned FIN-WAIT-2 counts as it becomes a timewait socket', () => {
    const r = finWait1({ config: { tcpFinTimeout: 3000 } });
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 2 });
    r.expectState('FIN-WAIT-2');
    expect([r.c.counters.timeWaits, r.c.counters.timeWaitsKilled]).toEqual([0, 1]);
  });
});
