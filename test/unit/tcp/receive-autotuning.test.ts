// Receive-buffer auto-tuning as Linux 6.18 does it (tcp_rcv_space_adjust, tcp_rcvbuf_grow,
// tcp_rcv_rtt_measure[_ts]): the buffer starts at tcp_rmem[1] and grows, once per receiver RTT,
// when the application read more than ever in one RTT; the window follows. As packet scripts: a
// peer that sends what our last window allows, one round trip (10 ms) at a time, its cwnd
// doubling, echoing in TSecr the TSval of our ACKs of the round before.
import { describe, expect, test } from 'vitest';
import { describeTraceRecord } from '../../../src/inspect/trace-format.js';
import { tcpConfig, type TcpConfig } from '../../../src/tcp/config.js';
import type { TcpEvent } from '../../../src/tcp/events.js';
import type { OutgoingSegment } from '../../../src/tcp/outgoing-segment.js';
import { TCP_SYN } from '../../../src/wire/tcp.js';
import { bytes, established, IRS, ISS, type Rig } from './harness/index.js';

const RTT = 10;
const SEG = 1448;

function tsVal(s: OutgoingSegment): number | undefined {
  for (const o of s.options) if (o.kind === 'timestamps') return o.tsVal;
  return undefined;
}

interface Peer {
  /** Next sequence number the peer sends. */
  seq: number;
  cwnd: number;
  /** The window (bytes, scaled back) and TSval of our last segment it saw. */
  window: number;
  ecr: number;
  /** Everything sent, to check what the application read. */
  sent: number;
}

/** A peer one round trip away: reads our segments of the last round, sends its next flight. */
function round(r: Rig, p: Peer, timestamps: boolean): number {
  for (const s of r.pending) {
    p.window = s.seg.window * 2 ** r.c.negotiated.wscale![1];
    p.ecr = tsVal(s.seg) ?? p.ecr;
  }
  r.pending = [];
  const inFlight = p.seq - r.c.rcvNxt;
  const n = Math.max(0, Math.min(p.cwnd, Math.floor((p.window - inFlight) / SEG)));
  for (let i = 0; i < n; i++) {
    r.inject({ flags: '.', seq: p.seq, ack: ISS + 1, payload: bytes(SEG, p.sent), ts: timestamps ? [100 + r.now, p.ecr] : undefined });
    p.seq += SEG;
    p.sent += SEG;
  }
  // Slow start, up to what a few MB of transfer needs.
  p.cwnd = Math.min(2 * p.cwnd, 400);
  return n * SEG;
}

function peer(): Peer {
  return { seq: IRS + 1, cwnd: 10, window: 64240, ecr: 0, sent: 0 };
}

/** The largest window our segments advertised after the handshake (a SYN's is not scaled). */
function maxAdvertised(r: Rig): number {
  const shift = r.c.negotiated.wscale![1];
  return Math.max(...r.log.filter((s) => (s.seg.flags & TCP_SYN) === 0).map((s) => s.seg.window * 2 ** shift));
}

function rcvbufEvents(events: TcpEvent[]): number[] {
  return events.flatMap((e) => (e.type === 'rcvbuf' ? [e.rcvbuf] : []));
}

/** Rounds of a transfer; after each, `read` (default: the application reads everything). */
function transfer(config: Partial<TcpConfig> = {}, rounds = 8, timestamps = true, read: (r: Rig) => Uint8Array = (r) => r.read()): { r: Rig; p: Peer; read: Uint8Array[] } {
  const r = established({ timestamps, config });
  const p = peer();
  const got: Uint8Array[] = [];
  for (let k = 0; k < rounds; k++) {
    r.advance(RTT);
    round(r, p, timestamps);
    got.push(read(r));
  }
  return { r, p, read: got };
}

/** What the application read is exactly what the peer sent. */
function expectReadAll(read: Uint8Array[], p: Peer): void {
  expect(Buffer.concat(read).equals(bytes(p.sent))).toBe(true);
}

describe('receive-buffer auto-tuning (tcp_moderate_rcvbuf)', () => {
  test('starts at tcp_rmem[1]: 128 KiB, a clamp one segment short of it, rcv_space 10 segments', () => {
    const r = established({ timestamps: true });
    expect(r.c.rcvbuf).toBe(131072);
    expect(r.c.rcvWindowClamp).toBe(131072 - SEG);
    expect(r.c.rcvSpaceInfo).toEqual({ rcvRtt: undefined, rcvSpace: 10 * SEG, rcvSsthresh: 64240 });
  });

  test('grows while the application reads quickly, round after round; the window follows past the initial buffer', () => {
    const { r, p, read } = transfer();
    expectReadAll(read, p);
    const grown = rcvbufEvents(r.events);
    expect(grown.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < grown.length; i++) expect(grown[i]).toBeGreaterThan(grown[i - 1]!);
    expect(r.c.rcvbuf).toBe(grown.at(-1));
    expect(r.c.rcvbuf).toBeGreaterThan(131072);
    // The clamp followed the buffer ("Make the window clamp follow along"), and the window
    // advertised went past anything a 128 KiB buffer could offer.
    expect(r.c.rcvWindowClamp).toBe(r.c.rcvbuf);
    expect(maxAdvertised(r)).toBeGreaterThan(131072);
    expect(r.c.rcvSpaceInfo.rcvSpace).toBeGreaterThan(10 * SEG);
  });

  test('the first growth, to the number: 2 × copied plus twice its relative growth (tcp_rcvbuf_grow)', () => {
    const r = established({ timestamps: true });
    const p = peer();
    r.advance(RTT);
    expect(round(r, p, true)).toBe(10 * SEG); // TSecr 0: no sample yet
    r.read();
    expect(r.c.rcvSpaceInfo.rcvRtt).toBeUndefined();
    r.advance(RTT);
    expect(round(r, p, true)).toBe(20 * SEG); // TSecr = our TSval of 10 ms ago
    expect(r.c.rcvSpaceInfo.rcvRtt).toBe(RTT);
    r.read();
    // 30 segments read since the last measure, more than rcv_space (10): rcvwin = 2 × 43440,
    // plus 2 × rcvwin × (43440 − 14480) / 14480.
    expect(rcvbufEvents(r.events)).toEqual([86_880 + 2 * 173_760]);
    expect(r.c.rcvSpaceInfo.rcvSpace).toBe(30 * SEG);
    // As `tcplab trace` shows it.
    const grown = r.events.find((e) => e.type === 'rcvbuf')!;
    expect(describeTraceRecord(grown)).toMatch(/ {2}receive buffer grown to 434400 \(rcv_space 43440, rcv_rtt 10 ms\)$/);
  });

  test('does not grow when the application does not read: the window closes at 128 KiB', () => {
    const { r } = transfer({}, 8, true, () => new Uint8Array(0));
    expect(rcvbufEvents(r.events)).toEqual([]);
    expect(r.c.rcvbuf).toBe(131072);
    // Full to less than a segment: what is left of the last offer the peer cannot use.
    expect(r.c.readable).toBeGreaterThan(131072 - SEG);
    expect(r.log.at(-1)!.seg.window * 128).toBeLessThan(SEG);
    expect(r.c.rcvSpaceInfo.rcvSpace).toBe(10 * SEG);
  });

  test('does not grow when the application reads less per round trip than rcv_space', () => {
    const { r } = transfer({}, 12, true, (rig) => rig.read(8000));
    expect(rcvbufEvents(r.events)).toEqual([]);
    expect(r.c.rcvbuf).toBe(131072);
  });

  test('SO_RCVBUF locks the buffer (SOCK_RCVBUF_LOCK): rcv_space is measured, the buffer stays', () => {
    const { r, p, read } = transfer({ receiveBufferSize: 131072 });
    expectReadAll(read, p);
    expect(rcvbufEvents(r.events)).toEqual([]);
    expect(r.c.rcvbuf).toBe(131072);
    expect(maxAdvertised(r)).toBeLessThanOrEqual(131072);
    expect(r.c.rcvSpaceInfo.rcvSpace).toBeGreaterThan(10 * SEG);
  });

  test('tcp_moderate_rcvbuf 0 turns it off', () => {
    const { r } = transfer({ tcpModerateRcvbuf: false });
    expect(rcvbufEvents(r.events)).toEqual([]);
    expect(r.c.rcvbuf).toBe(131072);
  });

  test('never beyond tcp_rmem[2]', () => {
    const { r } = transfer({ tcpRmem: [4096, 131072, 300_000] }, 10);
    expect(r.c.rcvbuf).toBe(300_000);
    expect(rcvbufEvents(r.events).at(-1)).toBe(300_000);
  });

  test('the buffer grows on paper: memory is taken only as data arrives', () => {
    const { r } = transfer();
    expect(r.c.rcvbuf).toBeGreaterThan(131072);
    // Nothing unread: the receive buffer's storage is what the largest burst needed, not rcvbuf.
    expect(r.c.readable).toBe(0);
  });
});

describe("the receiver's RTT (rcv_rtt_est)", () => {
  test('from timestamps: our TSval now − the TSecr of a full-sized data segment', () => {
    const r = established({ timestamps: true });
    r.advance(10);
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, payload: SEG, ts: [110, 0] });
    r.out();
    r.advance(25);
    // TSecr 10: the TSval of our ACK at 10 ms; 25 ms later.
    r.inject({ flags: '.', seq: IRS + 1 + SEG, ack: ISS + 1, payload: SEG, ts: [135, 10] });
    expect(r.c.rcvSpaceInfo.rcvRtt).toBe(25);
  });

  test('a smaller sample is taken at once; a larger one moves it by 1/8, only with nothing unread', () => {
    const r = established({ timestamps: true });
    let seq = IRS + 1;
    const send = (at: number, ecr: number, len = SEG): void => {
      r.advanceTo(at);
      r.inject({ flags: '.', seq, ack: ISS + 1, payload: len, ts: [100 + at, ecr] });
      seq += len;
    };
    send(20, 4); // 16 ms
    expect(r.c.rcvSpaceInfo.rcvRtt).toBe(16);
    send(30, 22); // 8 ms: lower, taken
    expect(r.c.rcvSpaceInfo.rcvRtt).toBe(8);
    send(40, 24); // 16 ms with data unread: ignored (the peer may have waited for our window)
    expect(r.c.rcvSpaceInfo.rcvRtt).toBe(8);
    r.read();
    send(50, 34); // 16 ms, queue empty: 8 − 8/8 + 16/8 = 9 ms
    expect(r.c.rcvSpaceInfo.rcvRtt).toBe(9);
  });

  test('no sample from a short segment, a repeated TSecr, or a 0 ms difference', () => {
    const r = established({ timestamps: true });
    r.advance(20);
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, payload: 100, ts: [120, 5] });
    expect(r.c.rcvSpaceInfo.rcvRtt).toBeUndefined();
    r.inject({ flags: '.', seq: IRS + 101, ack: ISS + 1, payload: SEG, ts: [120, 5] });
    expect(r.c.rcvSpaceInfo.rcvRtt).toBeUndefined();
    r.inject({ flags: '.', seq: IRS + 101 + SEG, ack: ISS + 1, payload: SEG, ts: [120, 20] });
    expect(r.c.rcvSpaceInfo.rcvRtt).toBeUndefined();
  });

  test('without timestamps: the time one advertised window takes to arrive, the lowest seen', () => {
    const r = established();
    const p = peer();
    r.advance(RTT);
    round(r, p, false);
    r.read();
    expect(r.c.rcvSpaceInfo.rcvRtt).toBeUndefined();
    // The window measured from the first segment (RCV.NXT + RCV.WND) is passed two rounds later.
    for (let k = 0; k < 3; k++) {
      r.advance(RTT);
      round(r, p, false);
      r.read();
    }
    expect(r.c.rcvSpaceInfo.rcvRtt).toBe(2 * RTT);
  });

  test('without timestamps the buffer grows too', () => {
    const { r, p, read } = transfer({}, 10, false);
    expectReadAll(read, p);
    expect(r.c.rcvbuf).toBeGreaterThan(131072);
    expect(maxAdvertised(r)).toBeGreaterThan(131072);
  });
});

describe('the window scale follows tcp_rmem[2] (tcp_select_initial_window)', () => {
  function synWscale(config: Partial<TcpConfig>): number | undefined {
    const r = established({ config });
    const syn = r.log[0]!.seg;
    for (const o of syn.options) if (o.kind === 'window-scale') return o.shift;
    return undefined;
  }

  test('7 for 6 MiB, 10 for the 32 MiB of Linux 6.16+, never below what rmem_max needs', () => {
    expect(synWscale({})).toBe(7);
    expect(synWscale({ tcpRmem: [4096, 131072, 33_554_432] })).toBe(10);
    expect(synWscale({ tcpRmem: [4096, 131072, 1 << 20] })).toBe(7); // rmem_max 4 MiB
    expect(synWscale({ tcpRmem: [4096, 131072, 1 << 20], rmemMax: 212_992 })).toBe(5);
  });

  test('a locked buffer offers only what it needs', () => {
    expect(synWscale({ receiveBufferSize: 4096 })).toBe(0);
    expect(synWscale({ receiveBufferSize: 1 << 20 })).toBe(5);
  });
});

describe('settings out of range', () => {
  test.each([
    ['tcpRmem', { tcpRmem: [4096, 0, 6_291_456] }],
    ['tcpRmem', { tcpRmem: [4096, 2 ** 31, 2 ** 31] }],
    ['receiveBufferSize', { receiveBufferSize: -1 }],
    ['receiveBufferSize', { receiveBufferSize: 1.5 }],
    ['tcpAppWin', { tcpAppWin: 32 }],
  ] as const)('%s: ERR_OUT_OF_RANGE, saying what it must be', (name, overrides) => {
    expect(() => tcpConfig(overrides as Partial<TcpConfig>)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining(`"${name}" is out of range. It must be`) }));
  });
});
