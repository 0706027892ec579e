import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SackScoreboard } from '../../../../src/tcp/buffers/sack-scoreboard.js';
import { seqAdd } from '../../../../src/wire/seq.js';
import type { SackBlock } from '../../../../src/wire/tcp-options.js';

const MSS = 100;

/** A block at offsets [l, r) from `base`. */
function blk(base: number, l: number, r: number): SackBlock {
  return { left: seqAdd(base, l), right: seqAdd(base, r) };
}

/** A scoreboard at `base` with `sent` octets outstanding and these blocks SACKed. */
function board(base: number, sent: number, ...ranges: [number, number][]) {
  const sb = new SackScoreboard(base);
  const sndNxt = seqAdd(base, sent);
  const u = sb.onSack(base, ranges.map(([l, r]) => blk(base, l, r)), sndNxt);
  expect(u.invalid).toBe(0);
  return { sb, sndNxt };
}

describe('SackScoreboard: recording SACK blocks (RFC 2018, RFC 6675 §4 Update)', () => {
  it('starts empty', () => {
    const sb = new SackScoreboard(1000);
    expect(sb.sndUna).toBe(1000);
    expect(sb.sackedBytes).toBe(0);
    expect(sb.highestSacked).toBe(1000);
    expect(sb.highRxt).toBe(1000);
    expect(sb.hasSacked).toBe(false);
    expect(sb.isSacked(1000)).toBe(false);
    expect(sb.pipe(2000, MSS)).toBe(1000);
    expect(() => new SackScoreboard(0, { maxRanges: 0 })).toThrow(RangeError);
  });

  it('records and merges blocks, counting only newly SACKed octets', () => {
    const sb = new SackScoreboard(0);
    expect(sb.onSack(0, [blk(0, 100, 200)], 1000)).toMatchObject({ newlySacked: 100, dsack: null, invalid: 0 });
    expect(sb.onSack(0, [blk(0, 300, 400), blk(0, 100, 200)], 1000)).toMatchObject({ newlySacked: 100 });
    expect(sb.onSack(0, [blk(0, 150, 350)], 1000)).toMatchObject({ newlySacked: 100 });
    expect(sb.sackedBlocks()).toEqual([blk(0, 100, 400)]);
    expect(sb.onSack(0, [blk(0, 400, 500)], 1000).newlySacked).toBe(100); // adjacent: merged
    expect(sb.onSack(0, [blk(0, 50, 100)], 1000).newlySacked).toBe(50);
    expect(sb.sackedBlocks()).toEqual([blk(0, 50, 500)]);
    expect(sb.onSack(0, [blk(0, 60, 70), blk(0, 50, 500)], 1000).newlySacked).toBe(0);
    expect(sb.sackedBytes).toBe(450);
    expect(sb.highestSacked).toBe(500);
    expect(sb.isSacked(49)).toBe(false);
    expect(sb.isSacked(50)).toBe(true);
    expect(sb.isSacked(499)).toBe(true);
    expect(sb.isSacked(500)).toBe(false);
  });

  it('ignores empty, inverted, beyond-SND.NXT and below-SND.UNA blocks', () => {
    const sb = new SackScoreboard(1000);
    const u = sb.onSack(
      1000,
      [
        blk(1000, 200, 300), // valid
        blk(1000, 400, 400), // empty
        blk(1000, 500, 450), // inverted
        blk(1000, 900, 1001), // past SND.NXT (1000 sent)
        blk(1000, -50, 50), // straddles SND.UNA, not first: invalid
        blk(1000, -200, -100), // below SND.UNA
      ],
      seqAdd(1000, 1000),
    );
    expect(u).toMatchObject({ newlySacked: 100, dsack: null, invalid: 5 });
    expect(sb.sackedBlocks()).toEqual([blk(1000, 200, 300)]);
    // A block ending exactly at SND.NXT is fine.
    expect(sb.onSack(1000, [blk(1000, 900, 1000)], seqAdd(1000, 1000)).newlySacked).toBe(100);
  });

  it('ignores a block 2^31 wide that lies past SND.NXT, though pairwise sequence comparisons accept it (found by fuzzing)', () => {
    // SND.UNA 481, SND.NXT 1441: [1110164436, 3257648084) has left < right and right "before"
    // SND.NXT modulo 2^32; recorded, it made the whole send queue look delivered.
    const sb = new SackScoreboard(481);
    const u = sb.onSack(481, [{ left: 1110164436, right: 3257648084 }], 1441);
    expect(u).toMatchObject({ newlySacked: 0, invalid: 1 });
    expect(sb.hasSacked).toBe(false);
    expect(sb.pipe(1441, MSS)).toBe(960);
    // Nor does it count as newly delivered, and ranges are clipped to [SND.UNA, SND.NXT].
    expect(sb.unsackedParts(1110164436, 3257648084, 1441)).toEqual([]);
    expect(sb.unsackedParts(400, 5000, 1441)).toEqual([{ left: 481, right: 1441 }]);
    expect(sb.unsackedParts(1000, 1100, 1441)).toEqual([{ left: 1000, right: 1100 }]);
  });

  it('D-SACK (RFC 2883 §4): a first block below the cumulative ACK is reported, not recorded', () => {
    const sb = new SackScoreboard(500);
    const u = sb.onSack(500, [blk(0, 100, 200), blk(0, 700, 800)], 1000);
    expect(u.dsack).toEqual(blk(0, 100, 200));
    expect(u.newlySacked).toBe(100);
    expect(u.invalid).toBe(0);
    expect(sb.sackedBlocks()).toEqual([blk(0, 700, 800)]);
    // Partly below the ACK is a D-SACK too.
    expect(sb.onSack(500, [blk(0, 450, 550)], 1000).dsack).toEqual(blk(0, 450, 550));
    expect(sb.isSacked(520)).toBe(false);
  });

  it('D-SACK: a first block inside the second is reported, the second recorded', () => {
    const sb = new SackScoreboard(0);
    const u = sb.onSack(0, [blk(0, 300, 350), blk(0, 200, 400)], 1000);
    expect(u.dsack).toEqual(blk(0, 300, 350));
    expect(u.newlySacked).toBe(200);
    expect(sb.sackedBlocks()).toEqual([blk(0, 200, 400)]);
    // Equal to the second block: still contained.
    expect(sb.onSack(0, [blk(0, 200, 400), blk(0, 200, 400)], 1000)).toMatchObject({ dsack: blk(0, 200, 400), newlySacked: 0 });
    // Not contained (sticks out): an ordinary block.
    expect(sb.onSack(0, [blk(0, 350, 450), blk(0, 200, 400)], 1000)).toMatchObject({ dsack: null, newlySacked: 50 });
    // Only the first block can be a D-SACK.
    expect(sb.onSack(0, [blk(0, 600, 700), blk(0, 610, 620)], 1000)).toMatchObject({ dsack: null, newlySacked: 100 });
  });

  it('D-SACK is judged against the segment ACK, even an old one', () => {
    const sb = new SackScoreboard(0);
    sb.onCumulativeAck(500);
    // An old ACK (300) arrives late: its first block at 400..450 is below 500 but not below
    // 300, so it is an ordinary block, and, lying below SND.UNA, ignored.
    expect(sb.onSack(300, [blk(0, 400, 450)], 1000)).toMatchObject({ dsack: null, invalid: 1 });
    expect(sb.onSack(300, [blk(0, 200, 250)], 1000).dsack).toEqual(blk(0, 200, 250));
  });

  it('the cumulative ACK discards and clips what lies below it', () => {
    const { sb } = board(0, 1000, [100, 200], [300, 400], [500, 600]);
    sb.onCumulativeAck(350);
    expect(sb.sndUna).toBe(350);
    expect(sb.sackedBlocks()).toEqual([blk(0, 350, 400), blk(0, 500, 600)]);
    expect(sb.sackedBytes).toBe(150);
    sb.onCumulativeAck(300); // old: ignored
    sb.onCumulativeAck(350); // same: ignored
    expect(sb.sndUna).toBe(350);
    sb.onCumulativeAck(600);
    expect(sb.sackedBlocks()).toEqual([]);
    expect(sb.sackedBytes).toBe(0);
    expect(sb.highestSacked).toBe(600);
  });

  it('works across the 2^32 wrap', () => {
    const base = 0xfffffe00; // 512 octets before the wrap
    const { sb, sndNxt } = board(base, 1000, [400, 600], [700, 800]);
    expect(sb.sackedBlocks()).toEqual([
      { left: 0xffffff90, right: 0x58 },
      { left: 0xbc, right: 0x120 },
    ]);
    expect(sb.sackedBytes).toBe(300);
    expect(sb.highestSacked).toBe(0x120);
    expect(sb.isSacked(0xffffffff)).toBe(true);
    expect(sb.isSacked(0)).toBe(true);
    expect(sb.isSacked(0x58)).toBe(false);
    expect(sb.pipe(sndNxt, MSS)).toBe(1000 - 300 - 400); // 0..400 lost (2 ranges, 300 > 200 octets)
    sb.onCumulativeAck(seqAdd(base, 500));
    expect(sb.sackedBlocks()).toEqual([
      { left: 0xfffffff4, right: 0x58 },
      { left: 0xbc, right: 0x120 },
    ]);
    expect(sb.nextLost(MSS)).toBeUndefined();
    expect(sb.nextUnsacked()).toBe(0x58);
  });
});

describe('SackScoreboard: IsLost (RFC 6675 §4)', () => {
  it('DupThresh discontiguous SACKed ranges above make an octet lost', () => {
    // Three 1-octet ranges: 3 octets SACKed, far below (DupThresh-1)*SMSS, but 3 ranges.
    const { sb } = board(0, 1000, [100, 101], [200, 201], [300, 301]);
    expect(sb.isLost(0, MSS)).toBe(true);
    expect(sb.isLost(99, MSS)).toBe(true);
    expect(sb.isLost(100, MSS)).toBe(false); // SACKed
    expect(sb.isLost(101, MSS)).toBe(false); // only 2 ranges above
    expect(sb.isLost(150, MSS)).toBe(false);
    expect(sb.isLost(0, MSS, 4)).toBe(false);
    expect(sb.isLost(0, MSS, 2)).toBe(true);
    expect(sb.isLost(150, MSS, 2)).toBe(true);
    expect(sb.isLost(250, MSS, 2)).toBe(false);
    expect(sb.lostEnd(MSS)).toBe(100);
  });

  it('more than (DupThresh-1)*SMSS SACKed octets above make an octet lost: 2*SMSS is not enough', () => {
    const exact = board(0, 1000, [100, 300]).sb;
    expect(exact.isLost(0, MSS)).toBe(false);
    const more = board(0, 1000, [100, 301]).sb;
    expect(more.isLost(0, MSS)).toBe(true);
    expect(more.isLost(99, MSS)).toBe(true);
    expect(more.isLost(301, MSS)).toBe(false);
    // Two ranges adding up to more than 2*SMSS.
    const split = board(0, 1000, [100, 200], [400, 501]).sb;
    expect(split.isLost(50, MSS)).toBe(true);
    expect(split.isLost(300, MSS)).toBe(false);
  });

  it('nothing is lost below SND.UNA or without SACKs', () => {
    const { sb } = board(100, 1000, [100, 400]);
    expect(sb.isLost(99, MSS)).toBe(false);
    expect(sb.isLost(100, MSS)).toBe(true);
    expect(new SackScoreboard(0).isLost(0, MSS)).toBe(false);
  });
});

describe('SackScoreboard: SetPipe (RFC 6675 §4)', () => {
  it('counts outstanding octets neither SACKed nor lost, plus retransmitted ones', () => {
    // Ten segments; the first is lost, the next three SACKed (the classic fast retransmit).
    const { sb, sndNxt } = board(0, 1000, [100, 400]);
    expect(sb.pipe(sndNxt, MSS)).toBe(1000 - 300 - 100);
    sb.markRetransmitted(0, 100);
    expect(sb.pipe(sndNxt, MSS)).toBe(700);
    expect(sb.retransmittedBytes).toBe(100);
    // Octets retransmitted without being lost count twice.
    sb.markRetransmitted(400, 500);
    expect(sb.pipe(sndNxt, MSS)).toBe(800);
    // A SACK for retransmitted data removes both counts.
    sb.onSack(0, [blk(0, 400, 500)], sndNxt);
    expect(sb.pipe(sndNxt, MSS)).toBe(600);
    expect(sb.retransmittedBytes).toBe(100);
    // The cumulative ACK of the retransmission.
    sb.onCumulativeAck(100);
    expect(sb.pipe(sndNxt, MSS)).toBe(500);
    expect(sb.retransmittedBytes).toBe(0);
  });

  it('is the flight size without SACKs', () => {
    const sb = new SackScoreboard(0xfffffff0);
    expect(sb.pipe(0x10, MSS)).toBe(0x20);
    expect(sb.pipe(0xfffffff0, MSS)).toBe(0);
  });
});

describe('SackScoreboard: NextSeg (RFC 6675 §4)', () => {
  it('rule 1: the first lost unSACKed octet above HighRxt, segments stopping at SACKed data', () => {
    const { sb, sndNxt } = board(0, 2000, [50, 100], [200, 300], [400, 500], [600, 700]);
    expect(sb.lostEnd(MSS)).toBe(200);
    expect(sb.nextLost(MSS)).toBe(0);
    expect(sb.segmentEnd(0, MSS, sndNxt)).toBe(50);
    sb.markRetransmitted(0, 50);
    expect(sb.highRxt).toBe(50);
    expect(sb.nextLost(MSS)).toBe(100);
    expect(sb.segmentEnd(100, MSS, sndNxt)).toBe(200);
    expect(sb.segmentEnd(100, 30, sndNxt)).toBe(130);
    sb.markRetransmitted(100, 200);
    expect(sb.nextLost(MSS)).toBeUndefined();
    // Rule 3: unSACKed octets below the highest SACK, lost or not.
    expect(sb.nextUnsacked()).toBe(300);
    sb.markRetransmitted(300, 400);
    expect(sb.nextUnsacked()).toBe(500);
    sb.markRetransmitted(500, 600);
    expect(sb.nextUnsacked()).toBeUndefined();
    expect(sb.highRxt).toBe(600);
  });

  it('more SACKs make more octets lost; HighRxt keeps retransmissions in order', () => {
    const { sb, sndNxt } = board(0, 2000, [100, 200]);
    expect(sb.nextLost(MSS)).toBeUndefined();
    expect(sb.nextUnsacked()).toBe(0);
    sb.onSack(0, [blk(0, 300, 400), blk(0, 100, 200)], sndNxt);
    expect(sb.nextLost(MSS)).toBeUndefined(); // 200 octets: not more than 2*SMSS
    sb.onSack(0, [blk(0, 500, 501)], sndNxt);
    expect(sb.nextLost(MSS)).toBe(0);
    expect(sb.isLost(200, MSS)).toBe(false); // above it: 2 ranges, 101 octets
    sb.markRetransmitted(0, 100);
    expect(sb.nextLost(MSS)).toBeUndefined();
    sb.onSack(0, [blk(0, 600, 601)], sndNxt);
    expect(sb.isLost(200, MSS)).toBe(true); // now 3 ranges above
    expect(sb.nextLost(MSS)).toBe(200);
    expect(sb.segmentEnd(200, MSS, sndNxt)).toBe(300);
  });

  it('rule 4: the rescue segment ends at the highest unSACKed octet and leaves HighRxt', () => {
    const { sb, sndNxt } = board(0, 1000, [100, 200], [900, 1000]);
    expect(sb.rescueStart(MSS, sndNxt)).toBe(800);
    expect(sb.segmentEnd(800, MSS, sndNxt)).toBe(900);
    expect(sb.rescueStart(1000, sndNxt)).toBe(200);
    sb.markRetransmitted(800, 900, false);
    expect(sb.highRxt).toBe(0);
    expect(sb.pipe(sndNxt, MSS)).toBe(800 + 100);
    // Highest unSACKed octet just below SND.NXT.
    const other = board(0, 1000, [100, 200]);
    expect(other.sb.rescueStart(MSS, other.sndNxt)).toBe(900);
    expect(other.sb.segmentEnd(900, MSS, other.sndNxt)).toBe(1000);
    // Everything SACKed: no rescue.
    const all = new SackScoreboard(0);
    all.onSack(0, [blk(0, 0, 0)], 1000);
    expect(all.rescueStart(MSS, 0)).toBeUndefined();
    const full = board(0, 100, [0, 100]);
    expect(full.sb.rescueStart(MSS, full.sndNxt)).toBeUndefined();
  });

  it('markRetransmitted clips at SND.UNA and ignores empty ranges', () => {
    const sb = new SackScoreboard(100);
    sb.markRetransmitted(0, 150);
    expect(sb.retransmittedBlocks()).toEqual([blk(0, 100, 150)]);
    sb.markRetransmitted(50, 90);
    sb.markRetransmitted(200, 200);
    expect(sb.retransmittedBlocks()).toEqual([blk(0, 100, 150)]);
    expect(sb.highRxt).toBe(150);
  });

  it('beginRecovery restarts retransmission at SND.UNA', () => {
    const { sb, sndNxt } = board(0, 1000, [100, 400]);
    sb.markRetransmitted(0, 100);
    sb.beginRecovery();
    expect(sb.highRxt).toBe(0);
    expect(sb.retransmittedBlocks()).toEqual([]);
    expect(sb.nextLost(MSS)).toBe(0);
    expect(sb.pipe(sndNxt, MSS)).toBe(600);
  });
});

describe('SackScoreboard: retransmission timeout', () => {
  it('keeps SACK information and marks every unSACKed octet sent so far lost (Linux)', () => {
    const { sb, sndNxt } = board(0, 1000, [200, 300]);
    sb.markRetransmitted(0, 100);
    expect(sb.onRetransmissionTimeout(sndNxt)).toBe(false);
    expect(sb.sackedBlocks()).toEqual([blk(0, 200, 300)]);
    expect(sb.retransmittedBlocks()).toEqual([]);
    expect(sb.highRxt).toBe(0);
    expect(sb.isLost(0, MSS)).toBe(true);
    expect(sb.isLost(999, MSS)).toBe(true);
    expect(sb.isLost(250, MSS)).toBe(false);
    expect(sb.pipe(sndNxt, MSS)).toBe(0);
    // Retransmission walks the holes, skipping SACKed data, past the highest SACK too.
    expect(sb.nextLost(MSS)).toBe(0);
    sb.markRetransmitted(0, 200);
    expect(sb.nextLost(MSS)).toBe(300);
    expect(sb.segmentEnd(300, MSS, sndNxt)).toBe(400);
    expect(sb.pipe(sndNxt, MSS)).toBe(200);
    // New data sent after the RTO is not lost.
    const later = seqAdd(sndNxt, 500);
    expect(sb.pipe(later, MSS)).toBe(700);
    expect(sb.isLost(1200, MSS)).toBe(false);
    // Once SND.UNA passes the RTO's SND.NXT, the marking is gone.
    sb.onCumulativeAck(1000);
    expect(sb.pipe(later, MSS)).toBe(500);
    expect(sb.nextLost(MSS)).toBeUndefined();
  });

  it('after an RTO, SACKs for new data still make older unSACKed octets lost', () => {
    const sb = new SackScoreboard(0);
    sb.onRetransmissionTimeout(100); // 0..100 outstanding at the RTO
    expect(sb.lostEnd(MSS)).toBe(100);
    sb.onSack(0, [blk(0, 150, 160), blk(0, 170, 180), blk(0, 190, 200)], 300);
    expect(sb.lostEnd(MSS)).toBe(150);
    expect(sb.isLost(120, MSS)).toBe(true);
    expect(sb.isLost(165, MSS)).toBe(false);
    expect(sb.pipe(300, MSS)).toBe(300 - 150 - 30);
  });

  it('discards SACK information when the receiver reneged (SND.UNA itself SACKed)', () => {
    const sb = new SackScoreboard(0);
    sb.onSack(0, [blk(0, 100, 200)], 1000);
    sb.onCumulativeAck(100); // the receiver ACKs up to 100, yet reported 100..200 held before
    expect(sb.sackedBlocks()).toEqual([blk(0, 100, 200)]);
    expect(sb.onRetransmissionTimeout(1000)).toBe(true);
    expect(sb.sackedBlocks()).toEqual([]);
    expect(sb.sackedBytes).toBe(0);
    expect(sb.pipe(1000, MSS)).toBe(0);
    expect(sb.nextLost(MSS)).toBe(100);
  });

  it('clear forgets everything but SND.UNA (RFC 2018 §8); reset moves SND.UNA', () => {
    const { sb, sndNxt } = board(0, 1000, [200, 300]);
    sb.markRetransmitted(0, 100);
    sb.onRetransmissionTimeout(sndNxt);
    sb.clear();
    expect(sb.sackedBytes).toBe(0);
    expect(sb.sackedBlocks()).toEqual([]);
    expect(sb.retransmittedBlocks()).toEqual([]);
    expect(sb.pipe(sndNxt, MSS)).toBe(1000);
    expect(sb.sndUna).toBe(0);
    sb.reset(5000);
    expect(sb.sndUna).toBe(5000);
    expect(sb.highRxt).toBe(5000);
  });
});

describe('SackScoreboard: bounds', () => {
  it('a block needing a range beyond maxRanges is ignored; merges still work', () => {
    const sb = new SackScoreboard(0, { maxRanges: 2 });
    const u = sb.onSack(0, [blk(0, 100, 200), blk(0, 300, 400), blk(0, 500, 600)], 1000);
    expect(u).toMatchObject({ newlySacked: 200, invalid: 1 });
    expect(sb.onSack(0, [blk(0, 200, 300)], 1000).newlySacked).toBe(100);
    expect(sb.onSack(0, [blk(0, 500, 600)], 1000).newlySacked).toBe(100);
    expect(sb.sackedBlocks()).toEqual([blk(0, 100, 400), blk(0, 500, 600)]);
  });

  it('retransmitted ranges beyond maxRanges are coalesced (over-counting pipe, the safe side)', () => {
    const sb = new SackScoreboard(0, { maxRanges: 2 });
    sb.markRetransmitted(100, 200);
    sb.markRetransmitted(300, 400);
    sb.markRetransmitted(500, 600);
    expect(sb.retransmittedBlocks()).toEqual([blk(0, 100, 200), blk(0, 300, 600)]);
    sb.markRetransmitted(0, 50);
    expect(sb.retransmittedBlocks()).toEqual([blk(0, 0, 200), blk(0, 300, 600)]);
    expect(sb.retransmittedBytes).toBe(500);
  });
});

/** The reference: one flag per octet, the RFC's definitions read literally. */
class Bitmap {
  una = 0;
  nxt = 0;
  sacked: boolean[] = [];
  rexmit: boolean[] = [];
  highRxt = 0;
  rtoLostEnd = -1;

  isSacked(o: number): boolean {
    return o >= this.una && this.sacked[o] === true;
  }
  highestSacked(): number {
    for (let o = this.nxt - 1; o >= this.una; o--) if (this.isSacked(o)) return o + 1;
    return this.una;
  }
  isLost(o: number, mss: number, dt: number): boolean {
    if (o < this.una || this.isSacked(o)) return false;
    if (o < this.rtoLostEnd) return true;
    let runs = 0;
    let bytes = 0;
    for (let x = o + 1; x < this.nxt; x++) {
      if (this.isSacked(x)) {
        bytes++;
        if (!this.isSacked(x - 1)) runs++;
      }
    }
    return runs >= dt || bytes > (dt - 1) * mss;
  }
  pipe(mss: number, dt: number): number {
    let p = 0;
    for (let o = this.una; o < this.nxt; o++) {
      if (this.isSacked(o)) continue;
      if (!this.isLost(o, mss, dt)) p++;
      if (this.rexmit[o] === true) p++;
    }
    return p;
  }
  runs(flags: boolean[]): [number, number][] {
    const out: [number, number][] = [];
    for (let o = this.una; o < Math.max(this.nxt, flags.length); o++) {
      if (flags[o] !== true) continue;
      if (out.length > 0 && out[out.length - 1]![1] === o) out[out.length - 1]![1] = o + 1;
      else out.push([o, o + 1]);
    }
    return out;
  }
}

describe('SackScoreboard: against a per-octet reference', () => {
  type Op =
    | { kind: 'send'; n: number }
    | { kind: 'ack'; f: number }
    | { kind: 'sack'; blocks: [number, number][]; oldAck: number }
    | { kind: 'rexmit'; at: number; len: number; rescue: boolean }
    | { kind: 'recovery' }
    | { kind: 'rto' }
    | { kind: 'clear' };
  const frac = fc.double({ min: 0, max: 1, noNaN: true });
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('send' as const), n: fc.integer({ min: 0, max: 120 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('ack' as const), f: frac }) },
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('sack' as const),
        // Offsets from SND.UNA, some out of range on purpose.
        blocks: fc.array(fc.tuple(fc.integer({ min: -30, max: 330 }), fc.integer({ min: -5, max: 60 })).map(([l, len]) => [l, l + len] as [number, number]), { maxLength: 4 }),
        oldAck: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40 })),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('rexmit' as const), at: frac, len: fc.integer({ min: 0, max: 80 }), rescue: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('recovery' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('rto' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
  );

  it('sacked octets, IsLost, pipe and NextSeg agree with the reference', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(0xffffff80), fc.integer({ min: 0, max: 0xffffffff })),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(op, { maxLength: 40 }),
        (base, mss, dt, ops) => {
          const sb = new SackScoreboard(base);
          const m = new Bitmap();
          const seq = (o: number) => seqAdd(base, o);
          const off = (s: number) => (s - base) >>> 0;
          for (const o of ops) {
            switch (o.kind) {
              case 'send':
                m.nxt += o.n;
                break;
              case 'ack': {
                const ack = m.una + Math.floor(o.f * (m.nxt - m.una));
                sb.onCumulativeAck(seq(ack));
                if (ack > m.una) {
                  m.una = ack;
                  if (m.highRxt < ack) m.highRxt = ack;
                  if (m.rtoLostEnd <= ack) m.rtoLostEnd = -1;
                }
                break;
              }
              case 'sack': {
                const ack = m.una - o.oldAck;
                const blocks = o.blocks.map(([l, r]) => ({ left: seq(m.una + l), right: seq(m.una + r) }));
                let newly = 0;
                let invalid = 0;
                let dsack: SackBlock | null = null;
                o.blocks.forEach(([l0, r0], k) => {
                  const l = m.una + l0;
                  const r = m.una + r0;
                  if (l >= r) return void invalid++;
                  const second = o.blocks[1];
                  if (k === 0 && (l < ack || (second !== undefined && l0 >= second[0] && r0 <= second[1]))) {
                    dsack = { left: seq(l), right: seq(r) };
                    return;
                  }
                  if (l < m.una || r > m.nxt) return void invalid++;
                  for (let x = l; x < r; x++) {
                    if (m.sacked[x] !== true) newly++;
                    m.sacked[x] = true;
                  }
                });
                const u = sb.onSack(seq(ack), blocks, seq(m.nxt));
                expect(u.newlySacked).toBe(newly);
                expect(u.invalid).toBe(invalid);
                expect(u.dsack).toEqual(dsack);
                break;
              }
              case 'rexmit': {
                const start = m.una + Math.floor(o.at * (m.nxt - m.una));
                const end = Math.min(m.nxt, start + o.len);
                sb.markRetransmitted(seq(start), seq(end), !o.rescue);
                for (let x = start; x < end; x++) m.rexmit[x] = true;
                if (!o.rescue && end > start && end > m.highRxt) m.highRxt = end;
                break;
              }
              case 'recovery':
                sb.beginRecovery();
                m.highRxt = m.una;
                m.rexmit = [];
                break;
              case 'rto': {
                const reneged = m.isSacked(m.una);
                expect(sb.onRetransmissionTimeout(seq(m.nxt))).toBe(reneged);
                if (reneged) m.sacked = [];
                m.rexmit = [];
                m.highRxt = m.una;
                m.rtoLostEnd = m.nxt > m.una ? m.nxt : -1;
                break;
              }
              case 'clear':
                sb.clear();
                m.sacked = [];
                m.rexmit = [];
                m.highRxt = m.una;
                m.rtoLostEnd = -1;
                break;
            }

            // Compare everything observable.
            const sndNxt = seq(m.nxt);
            let sackedBytes = 0;
            for (let x = m.una; x < m.nxt; x++) if (m.isSacked(x)) sackedBytes++;
            expect(sb.sndUna).toBe(seq(m.una));
            expect(sb.sackedBytes).toBe(sackedBytes);
            expect(sb.sackedBlocks()).toEqual(m.runs(m.sacked).map(([l, r]) => ({ left: seq(l), right: seq(r) })));
            expect(sb.highestSacked).toBe(seq(m.highestSacked()));
            expect(sb.highRxt).toBe(seq(m.highRxt));
            for (let x = Math.max(0, m.una - 2); x < m.nxt + 2; x++) {
              expect(sb.isSacked(seq(x))).toBe(m.isSacked(x));
              expect(sb.isLost(seq(x), mss, dt)).toBe(m.isLost(x, mss, dt));
            }
            expect(sb.pipe(sndNxt, mss, dt)).toBe(m.pipe(mss, dt));
            let rexmitBytes = 0;
            for (let x = m.una; x < m.nxt; x++) if (m.rexmit[x] === true && !m.isSacked(x)) rexmitBytes++;
            expect(sb.retransmittedBytes).toBe(rexmitBytes);

            // NextSeg rule (1) and rule (3), and the segment they start.
            const from = Math.max(m.una, m.highRxt);
            const highest = m.highestSacked();
            let lost: number | undefined;
            let hole: number | undefined;
            for (let x = from; x < m.nxt; x++) {
              if (m.isSacked(x)) continue;
              if (lost === undefined && m.isLost(x, mss, dt)) lost = x;
              if (hole === undefined && x < highest) hole = x;
            }
            expect(sb.nextLost(mss, dt)).toBe(lost === undefined ? undefined : seq(lost));
            expect(sb.nextUnsacked()).toBe(hole === undefined ? undefined : seq(hole));
            for (const start of [lost, hole]) {
              if (start === undefined) continue;
              let end = start;
              while (end < m.nxt && end < start + mss && !m.isSacked(end)) end++;
              expect(off(sb.segmentEnd(seq(start), mss, sndNxt))).toBe(end);
            }
            // Rule (4): a segment ending at the highest unSACKed octet.
            let top = m.nxt - 1;
            while (top >= m.una && m.isSacked(top)) top--;
            if (top < m.una) {
              expect(sb.rescueStart(mss, sndNxt)).toBeUndefined();
            } else {
              let start = top;
              while (start > m.una && start > top + 1 - mss && !m.isSacked(start - 1)) start--;
              expect(sb.rescueStart(mss, sndNxt)).toBe(seq(start));
            }
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
