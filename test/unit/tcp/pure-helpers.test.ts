import { describe, expect, test } from 'vitest';
import { isAcceptable, pawsRejects, PAWS_IDLE_LIMIT, segmentLength } from '../../../src/tcp/acceptability.js';
import { tcpConfig } from '../../../src/tcp/config.js';
import { negotiate } from '../../../src/tcp/negotiation.js';
import { pow2 } from '../../../src/tcp/pow2.js';
import { growRcvSsthresh, initBufferSpace, initialWindow, linuxWindow, negotiatedWindowClamp, selectWindow } from '../../../src/tcp/receive-window.js';
import { ssStateName } from '../../../src/tcp/state.js';
import { timeWaitSynIss } from '../../../src/tcp/time-wait.js';
import { ConnectionTimers } from '../../../src/tcp/timers.js';

describe('RFC 9293 §3.10.7.4 acceptability table', () => {
  test.each([
    // [len, wnd, seq, acceptable]
    [0, 0, 100, true],
    [0, 0, 101, false],
    [0, 10, 100, true],
    [0, 10, 109, true],
    [0, 10, 110, false],
    [0, 10, 99, false],
    [5, 0, 100, true], // the zero-window allowance (probe at RCV.NXT)
    [5, 0, 101, false],
    [5, 10, 96, true], // last octet in the window
    [5, 10, 95, false],
    [5, 10, 109, true],
    [5, 10, 110, false],
  ])('len %i, window %i, seq %i → %s', (len, wnd, seq, ok) => {
    expect(isAcceptable(seq, len, 100, wnd)).toBe(ok);
  });

  test('mod 2^32: a window across the wrap', () => {
    expect(isAcceptable(5, 10, 0xfffffff0, 100)).toBe(true);
    expect(isAcceptable(0xffffffe0, 10, 0xfffffff0, 100)).toBe(false);
  });

  test('SEG.LEN counts SYN and FIN', () => {
    expect(segmentLength({ flags: 0x02, payload: new Uint8Array(3) })).toBe(4);
    expect(segmentLength({ flags: 0x11, payload: new Uint8Array(0) })).toBe(1);
  });
});

describe('PAWS (RFC 7323 §5)', () => {
  test('older TSval rejected, equal or newer accepted, undefined ignored', () => {
    expect(pawsRejects(99, 100, 0, 0)).toBe(true);
    expect(pawsRejects(100, 100, 0, 0)).toBe(false);
    expect(pawsRejects(101, 100, 0, 0)).toBe(false);
    expect(pawsRejects(undefined, 100, 0, 0)).toBe(false);
  });

  test('a TS.Recent idle for more than 24 days is not used (§5.5)', () => {
    expect(pawsRejects(99, 100, 0, PAWS_IDLE_LIMIT + 1)).toBe(false);
  });
});

describe('option negotiation', () => {
  test('all options when both SYNs carry them', () => {
    expect(negotiate(tcpConfig(), { mss: 1400, windowScale: 9, sackPermitted: true, tsVal: 1 })).toEqual({
      peerMss: 1400, wscaleOn: true, sndWscale: 9, rcvWscale: 7, sack: true, timestamps: true,
    });
  });

  test('our configuration can refuse each', () => {
    const n = negotiate(tcpConfig({ tcpSack: false, tcpTimestamps: false, tcpWindowScaling: false }), { mss: 1400, windowScale: 9, sackPermitted: true, tsVal: 1 });
    expect(n).toMatchObject({ wscaleOn: false, sndWscale: 0, rcvWscale: 0, sack: false, timestamps: false });
  });

  test('MSS 536 by default; MSS 0 counts as absent', () => {
    expect(negotiate(tcpConfig(), { mss: undefined, windowScale: undefined, sackPermitted: false, tsVal: undefined }).peerMss).toBe(536);
    expect(negotiate(tcpConfig(), { mss: 0, windowScale: undefined, sackPermitted: false, tsVal: undefined }).peerMss).toBe(536);
  });
});

describe('receive window selection', () => {
  // A 128 KiB buffer after tcp_init_buffer_space at advmss 1448: clamp 131072 − 1448.
  const base = { space: 100_000, capacity: 131072, windowClamp: 129_624, rcvSsthresh: 64240, rcvMss: 1448, current: 0, lastWindow: 0, scale: 7 };

  test('Linux SYN windows: 64240 at MSS 1460, 65160 at 1448; small buffers', () => {
    expect(initialWindow(4 * 1024 * 1024, 1460)).toBe(64240);
    expect(initialWindow(4 * 1024 * 1024, 1448)).toBe(65160);
    expect(initialWindow(4096, 1460)).toBe(2920);
    expect(initialWindow(1000, 1460)).toBe(1000);
  });

  test('scaled and rounded up (502 for 64240 with shift 7)', () => {
    expect(selectWindow(base)).toEqual({ field: 502, window: 64256 });
  });

  test('below half the clamp the free space is rounded down to the unit (64240 → 501 × 128)', () => {
    expect(selectWindow({ ...base, space: 64240, rcvSsthresh: 1 << 20 })).toEqual({ field: 501, window: 64128 });
  });

  test('not rounded up past the free space', () => {
    // 64900 free is above half the clamp: ALIGN would offer 65024, more than the buffer holds.
    expect(selectWindow({ ...base, space: 64900, rcvSsthresh: 1 << 20 })).toEqual({ field: 507, window: 64896 });
  });

  test('silly window avoidance: less than an MSS free is offered as 0', () => {
    expect(selectWindow({ ...base, space: 1000, scale: 0 }).field).toBe(0);
  });

  test('a large buffer closes the window below 1/16 of its size (__tcp_select_window)', () => {
    const big = { ...base, capacity: 6_291_456, windowClamp: 6_291_456, rcvSsthresh: 6_291_456 };
    expect(linuxWindow({ ...big, space: 393_215 })).toBe(0);
    expect(linuxWindow({ ...big, space: 393_216 })).toBe(393_216);
  });

  test('never shrinks below what remains of the last offer', () => {
    expect(selectWindow({ ...base, space: 1000, current: 5000, scale: 0 }).field).toBe(5000);
  });

  test('without scaling, a multiple of the MSS unless the last offer is within one MSS of it', () => {
    const unscaled = { ...base, scale: 0, rcvSsthresh: 1 << 20 };
    expect(linuxWindow({ ...unscaled, space: 100_000 })).toBe(99_912);
    expect(linuxWindow({ ...unscaled, space: 100_000, lastWindow: 99_000 })).toBe(99_000);
  });

  test('at most 65535 in the field', () => {
    expect(selectWindow({ ...base, space: 1 << 20, capacity: 1 << 21, windowClamp: 1 << 21, rcvSsthresh: 1 << 20, scale: 0 }).field).toBe(65535);
  });
});

describe('window clamp and rcv_ssthresh (tcp_init_buffer_space, tcp_grow_window)', () => {
  test('the clamp after the handshake: 65535 << scale, or the buffer when SO_RCVBUF set it', () => {
    expect(negotiatedWindowClamp(7, 131072, false)).toBe(65535 * 128);
    expect(negotiatedWindowClamp(0, 131072, false)).toBe(65535);
    expect(negotiatedWindowClamp(7, 4096, true)).toBe(4096);
  });

  test('at establishment: one segment kept back, rcv_ssthresh under the clamp', () => {
    expect(initBufferSpace({ windowClamp: 65535 * 128, capacity: 131072, advmss: 1448, appWin: 31, rcvSsthresh: 65160 })).toEqual({ windowClamp: 129_624, rcvSsthresh: 65160 });
    // A 4 KiB SO_RCVBUF at MSS 1460 offers at most 2920 (max(2 × advmss, 4096 − advmss)).
    expect(initBufferSpace({ windowClamp: 4096, capacity: 4096, advmss: 1460, appWin: 31, rcvSsthresh: 4096 })).toEqual({ windowClamp: 2920, rcvSsthresh: 2920 });
    // tcp_app_win 2 keeps a quarter of a large buffer for the application.
    expect(initBufferSpace({ windowClamp: 65535 * 128, capacity: 1 << 20, advmss: 1448, appWin: 2, rcvSsthresh: 65160 }).windowClamp).toBe(786_432);
  });

  test('rcv_ssthresh grows by max(2 × advmss, 2 × len) within the clamp and the free buffer', () => {
    expect(growRcvSsthresh(65160, { windowClamp: 129_624, free: 120_000, advmss: 1448, len: 1448 })).toBe(65160 + 2896);
    expect(growRcvSsthresh(65160, { windowClamp: 129_624, free: 120_000, advmss: 1448, len: 65160 })).toBe(120_000);
    expect(growRcvSsthresh(129_000, { windowClamp: 129_624, free: 131_072, advmss: 1448, len: 1448 })).toBe(129_624);
    expect(growRcvSsthresh(65160, { windowClamp: 129_624, free: 60_000, advmss: 1448, len: 1448 })).toBe(65160);
  });
});

describe('small pieces', () => {
  test('ss state names', () => {
    expect(ssStateName('ESTABLISHED')).toBe('ESTAB');
    expect(ssStateName('SYN-RECEIVED')).toBe('SYN-RECV');
    expect(ssStateName('TIME-WAIT')).toBe('TIME-WAIT');
    expect(ssStateName('CLOSED')).toBe('UNCONN');
  });

  test('timers: the earliest deadline, and stopAll', () => {
    const t = new ConnectionTimers();
    expect(t.next()).toBeUndefined();
    t.rtx = 50;
    t.delack = 40;
    expect(t.next(45)).toBe(40);
    expect(t.next(30)).toBe(30);
    t.stopAll();
    expect(t.next(undefined)).toBeUndefined();
  });

  test('TIME-WAIT ISN never 0', () => {
    expect(timeWaitSynIss({ sndNxt: (0 - 65537) >>> 0, rcvNxt: 10, tsRecent: undefined, tsRecentAt: 0, expiresAt: 0 }, { flags: 0x02, seq: 100, tsVal: undefined })).toBe(1);
  });
});

describe('pow2', () => {
  test('is 2 ** n for every shift a window or a backoff uses, and beyond 2^30', () => {
    for (let n = 0; n <= 60; n++) expect(pow2(n)).toBe(2 ** n);
  });
});
