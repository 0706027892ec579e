import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { seqAdd, seqDiff, seqLe } from '../../../src/wire/seq.js';
import { byteAt, FIXTURES, isnArb } from '../../fuzz/engine.js';
import { established, fmt, IRS } from './harness/index.js';

const FLAG_SETS = ['.', 'P.', 'F.', 'FP.', 'R', 'R.', 'S', 'S.', '', 'P', 'F', 'SF', 'SR.', 'RF.'];

type Op =
  | { kind: 'seg'; flags: string; seqOff: number; ackOff: number; len: number; win: number; tsOff: number; sack: boolean }
  | { kind: 'advance'; ms: number }
  | { kind: 'write'; n: number }
  | { kind: 'read'; n: number }
  | { kind: 'close' }
  | { kind: 'shutdown' }
  | { kind: 'abort' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({
    kind: fc.constant('seg' as const),
    flags: fc.constantFrom(...FLAG_SETS),
    seqOff: fc.oneof(fc.integer({ min: -3000, max: 70_000 }), fc.constantFrom(0, -1, 1), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
    ackOff: fc.oneof(fc.integer({ min: -70_000, max: 20_000 }), fc.constantFrom(0, 1, 2)),
    len: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 })),
    win: fc.integer({ min: 0, max: 0xffff }),
    tsOff: fc.integer({ min: -100, max: 1000 }),
    sack: fc.boolean(),
  }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 200_000 })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('write' as const), n: fc.integer({ min: 0, max: 20_000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('read' as const), n: fc.integer({ min: 0, max: 20_000 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'shutdown' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'abort' as const }) },
);

function run(fixture: string, ts: boolean, iss: number, irs: number, ops: readonly Op[]): void {
  const r = FIXTURES[fixture]!({ timestamps: ts, iss, irs });
  const c = r.c;
  let delivered = 0;
  let tsBase = 100;
  let lastEdge: number | undefined;
  const check = (): void => {
    // SND.UNA ≤ SND.NXT ≤ SND.MAX, always.
    expect(seqLe(c.sndUna, c.sndNxt)).toBe(true);
    expect(seqLe(c.sndNxt, c.sndMax)).toBe(true);
    // Every segment the engine sends can be encoded (options fit in 40 bytes, fields in range).
    for (const s of c.takeOutput()) fmt(s);
    // The right edge of the advertised window never moves back (RFC 9293 §3.8.6.2.2).
    const name = c.stateName;
    if (c.irs !== undefined && name !== 'CLOSED' && name !== 'TIME-WAIT') {
      const edge = seqAdd(c.rcvNxt, c.rcvWnd);
      if (lastEdge !== undefined) expect(seqDiff(edge, lastEdge)).toBeGreaterThanOrEqual(0);
      lastEdge = edge;
    }
    const d = c.read(undefined, r.now);
    // Delivered once and in order: byte k of the stream is the peer's byte at IRS + 1 + k.
    for (let i = 0; i < d.length; i++) expect(d[i]).toBe(byteAt(seqAdd((c.irs ?? r.irs) + 1, delivered + i)));
    delivered += d.length;
    for (const s of c.takeOutput()) fmt(s);
  };
  for (const op of ops) {
    switch (op.kind) {
      case 'seg': {
        const seq = seqAdd(c.rcvNxt, op.seqOff);
        const payload = new Uint8Array(op.len);
        // Data after a SYN starts at SEG.SEQ + 1.
        const first = op.flags.includes('S') ? seqAdd(seq, 1) : seq;
        for (let i = 0; i < op.len; i++) payload[i] = byteAt(seqAdd(first, i));
        tsBase += 1;
        r.inject({
          flags: op.flags,
          seq,
          ack: seqAdd(c.sndUna, op.ackOff),
          win: op.win,
          payload,
          ts: ts ? [(tsBase + op.tsOff) >>> 0, 0] : undefined,
          sack: op.sack ? [[seqAdd(c.sndUna, 100), seqAdd(c.sndUna, 2000)]] : undefined,
        });
        break;
      }
      case 'advance':
        r.advance(op.ms);
        break;
      case 'write':
        c.write(new Uint8Array(op.n), r.now);
        break;
      case 'read':
        break;
      case 'close':
        c.close(r.now);
        break;
      case 'shutdown':
        c.shutdownWrite(r.now);
        break;
      case 'abort':
        c.abort(r.now);
        break;
    }
    check();
  }
  // Whatever happened, time can run out: every state ends or waits without a busy timer.
  r.advance(3_000_000);
  check();
  const d = c.nextDeadline();
  if (d !== undefined) expect(d).toBeGreaterThan(r.now);
}

describe('random segment sequences never throw and keep the invariants', () => {
  for (const fixture of Object.keys(FIXTURES)) {
    test.each([false, true])(`${fixture}, timestamps %s`, (ts) => {
      fc.assert(fc.property(isnArb, isnArb, fc.array(opArb, { maxLength: 40 }), (iss, irs, ops) => run(fixture, ts, iss, irs, ops)), { numRuns: 150, seed: 42 });
    });
  }
});

describe('mutated handshakes and transfers', () => {
  test('a well-formed exchange with random single-field mutations never throws', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 11 }), fc.integer({ min: -5, max: 5 }), fc.constantFrom(...FLAG_SETS), (step, delta, flags) => {
        const r = established({ timestamps: true });
        const script = [
          { flags: 'P.', seq: IRS + 1, len: 100 },
          { flags: '.', seq: IRS + 101, len: 0 },
          { flags: 'P.', seq: IRS + 101, len: 1000 },
          { flags: 'F.', seq: IRS + 1101, len: 0 },
        ];
        r.write(5000);
        script.forEach((s, i) => {
          const mutated = i === step % script.length;
          const seq = mutated ? s.seq + delta : s.seq;
          const payload = new Uint8Array(s.len);
          for (let k = 0; k < s.len; k++) payload[k] = byteAt(seq + k);
          r.inject({ flags: mutated ? flags : s.flags, seq, ack: r.c.sndUna + (mutated ? delta : 0), payload, ts: [200 + i, 0] });
          r.advance(50);
        });
        const d = r.read();
        for (let k = 0; k < d.length; k++) expect(d[k]).toBe(byteAt(IRS + 1 + k));
      }),
      { numRuns: 150, seed: 42 },
    );
  });
});
