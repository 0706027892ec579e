// TSO in the engine (config.gsoMaxSize, Linux tcp_xmit_size_goal / tcp_mss_split_point): new data
// leaves in super-segments of whole MSS pieces, bounded by the congestion window, the offered
// window and half the largest window seen; cwnd and the counters count the MSS pieces;
// retransmissions go one MSS at a time.
import { describe, expect, test } from 'vitest';
import { established, IRS, ISS } from './harness/index.js';

const MSS = 1460;
const tso = { tcpTimestamps: false, gsoMaxSize: 65536 };

describe('super-segments (TSO)', () => {
  test('the initial window leaves as one super-segment of 10 MSS, with gso_size = MSS', () => {
    const r = established({ config: tso, win: 2000 }); // 2000 << 7: a 256 000-byte window
    r.write(200_000);
    const sent = r.pending.map((s) => s.seg);
    r.pending = [];
    expect(sent.map((s) => [s.payload.length, s.gsoSize])).toEqual([[10 * MSS, MSS]]);
    expect(r.c.counters.outSegs).toBe(1 + 1 + 10); // SYN, handshake ACK, then the 10 pieces
  });

  test('slow start grows the super-segments; each is a whole number of MSS within the size goal', () => {
    const r = established({ config: tso, win: 2000 });
    r.write(1_000_000);
    let next = ISS + 1;
    const lengths: number[] = [];
    for (let round = 0; round < 4; round++) {
      const sent = r.pending.map((s) => s.seg);
      r.pending = [];
      for (const s of sent) {
        expect(s.seq).toBe(next >>> 0);
        next += s.payload.length;
        lengths.push(s.payload.length);
        expect(s.payload.length % MSS).toBe(0);
        // gso_max_size less MAX_TCP_HEADER + 1, in whole MSS: 44 × 1460.
        expect(s.payload.length).toBeLessThanOrEqual(44 * MSS);
        expect(s.gsoSize).toBe(s.payload.length > MSS ? MSS : undefined);
      }
      r.inject({ flags: '.', seq: IRS + 1, ack: next >>> 0, win: 2000 });
    }
    expect(Math.max(...lengths)).toBe(44 * MSS);
    expect(r.c.cwnd).toBeGreaterThan(40 * MSS);
  });

  test('half the largest offered window bounds the goal (tcp_bound_to_half_wnd)', () => {
    const r = established({ config: { ...tso, initCwnd: 40 }, wscale: null, win: 40_000 });
    r.write(200_000);
    const first = r.pending[0]!.seg;
    // The SYN-ACK offered 65535: at most 32767, in whole MSS.
    expect(first.payload.length).toBe(Math.floor(32767 / MSS) * MSS);
  });

  test('the offered window cuts a super-segment at a whole MSS; a partial tail goes on its own', () => {
    const r = established({ config: { ...tso, initCwnd: 40 }, wscale: null, win: 65535 });
    r.write(5 * MSS + 100);
    expect(r.pending.map((s) => s.seg.payload.length)).toEqual([5 * MSS, 100]);
  });

  test('a retransmission timeout resends one MSS, not the super-segment', () => {
    const r = established({ config: tso, win: 2000, sackOK: false });
    r.write(10 * MSS);
    r.pending = [];
    r.advance(r.c.rto);
    r.expectFields([{ seq: ISS + 1, len: MSS }]);
    expect(r.c.counters.retransSegs).toBe(1);
  });

  test('SACK recovery retransmits the hole one MSS at a time', () => {
    const r = established({ config: tso, win: 2000, sackOK: true });
    r.write(10 * MSS);
    r.pending = [];
    // The first MSS is lost; the peer SACKs the next four (RFC 6675 IsLost: DupThresh segments above it).
    for (let k = 2; k <= 5; k++) r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1, win: 2000, sack: [[ISS + 1 + MSS, ISS + 1 + k * MSS]] });
    const rtx = r.pending.map((s) => s.seg).filter((s) => s.seq === ISS + 1);
    expect(rtx.map((s) => s.payload.length)).toEqual([MSS]);
  });

  test('without gsoMaxSize (the default) no segment is larger than the MSS', () => {
    const r = established({ config: { tcpTimestamps: false }, win: 2000 });
    r.write(200_000);
    expect(r.pending.every((s) => s.seg.payload.length <= MSS && s.seg.gsoSize === undefined)).toBe(true);
    expect(r.pending).toHaveLength(10);
  });
});
