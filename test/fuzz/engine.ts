/**
 * Fuzz target: ONE connection (src/tcp/connection.ts) put in any state by the packet-script
 * fixtures, then fed a random mix of valid segments from a model peer, valid segments with one
 * field mutated, old segments replayed, random segments, user calls and time. After every step:
 *
 * - no exception escapes;
 * - SND.UNA ≤ SND.NXT ≤ SND.MAX, and SND.UNA never moves back;
 * - RCV.NXT never moves back, IRS never changes once known;
 * - every byte handed to the application is the peer's byte at its place, once and in order;
 * - the right edge of the advertised window never moves back (RFC 9293 §3.8.6.2.2);
 * - memory is bounded: the receive buffer holds at most its capacity (in order and out of
 *   order), the send buffer at most its own, and one step never makes the engine send more
 *   than its windows allow;
 * - every segment it sends encodes and parses again.
 *
 * Used by test/unit/fuzz/engine.test.ts (a slice) and scripts/fuzz.ts (the long run).
 */
import fc from 'fast-check';
import type { Connection } from '../../src/tcp/connection.js';
import { seqAdd, seqDiff, seqGe, seqLe, seqLt } from '../../src/wire/seq.js';
import { closeWait, closing, established, finWait1, finWait2, fmt, lastAck, passiveEstablished, synReceived, synSent, timeWait, type Rig, type SegSpec } from '../unit/tcp/harness/index.js';

/** The peer's byte at sequence number s: any byte delivered can be checked against its place. */
export const byteAt = (s: number): number => (Math.imul(s, 2654435761) >>> 24) & 0xff;

interface FixtureBase {
  readonly timestamps: boolean;
  readonly iss: number;
  readonly irs: number;
  /** The harness's defaults when absent (test/unit/tcp/properties.test.ts leaves them). */
  readonly sackOK?: boolean;
  readonly wscale?: number | null;
  readonly config?: { receiveBufferSize: number; sendBufferSize: number };
}

export const FIXTURES: Record<string, (b: FixtureBase) => Rig> = {
  'SYN-SENT': (b) => synSent(b),
  'SYN-RECEIVED': (b) => synReceived(b),
  ESTABLISHED: (b) => established(b),
  'ESTABLISHED (passive)': (b) => passiveEstablished(b),
  'FIN-WAIT-1': (b) => finWait1(b),
  'FIN-WAIT-1 (shutdown)': (b) => finWait1(b, false),
  'FIN-WAIT-2': (b) => finWait2(b, false),
  'FIN-WAIT-2 (orphan)': (b) => finWait2(b),
  'CLOSE-WAIT': (b) => closeWait(b),
  CLOSING: (b) => closing(b),
  'LAST-ACK': (b) => lastAck(b),
  'TIME-WAIT': (b) => timeWait(b),
};

export const FIXTURE_NAMES = Object.keys(FIXTURES);

/** ISNs anywhere, with a bias toward the edges of the sequence space. */
export const isnArb = fc.oneof(fc.constantFrom(0, 1000, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffff000), fc.integer({ min: 0, max: 0xffffffff }));

const FLAG_SETS = ['.', 'P.', 'F.', 'FP.', 'R', 'R.', 'S', 'S.', '', 'P', 'F', 'SF', 'SR.', 'RF.', 'U.', 'E.', 'W.', 'SFRP.'];

/** One field of a valid segment changed. */
type Mutation =
  | { field: 'seq'; delta: number }
  | { field: 'ack'; delta: number }
  | { field: 'flags'; flags: string }
  | { field: 'win'; win: number }
  | { field: 'ts'; ts: readonly [number, number] | null }
  | { field: 'len'; len: number }
  | { field: 'sack'; blocks: readonly (readonly [number, number])[] }
  | { field: 'synOptions'; mss: number; wscale: number };

export type Op =
  | { kind: 'valid'; len: number; ackPart: number; fin: boolean; sackHole: boolean }
  | { kind: 'mutated'; len: number; mutation: Mutation }
  | { kind: 'random'; flags: string; seqOff: number; ackOff: number; len: number; win: number; tsOff: number; sack: boolean }
  | { kind: 'replay'; pick: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'write'; n: number }
  | { kind: 'read'; n: number }
  | { kind: 'close' }
  | { kind: 'shutdown' }
  | { kind: 'abort' };

const seqDelta = fc.oneof(fc.constantFrom(-1, 1, -1448, 1448, 65535, -65536, 2 ** 31, -(2 ** 31)), fc.integer({ min: -70_000, max: 70_000 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ field: fc.constant('seq' as const), delta: seqDelta }),
  fc.record({ field: fc.constant('ack' as const), delta: seqDelta }),
  fc.record({ field: fc.constant('flags' as const), flags: fc.constantFrom(...FLAG_SETS) }),
  fc.record({ field: fc.constant('win' as const), win: fc.oneof(fc.constantFrom(0, 1, 0xffff), fc.integer({ min: 0, max: 0xffff })) }),
  fc.record({
    field: fc.constant('ts' as const),
    ts: fc.oneof(fc.constant(null), fc.tuple(fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff })), fc.integer({ min: 0, max: 0xffffffff }))),
  }),
  fc.record({ field: fc.constant('len' as const), len: fc.oneof(fc.constantFrom(0, 1, 1448, 1460, 1461), fc.integer({ min: 0, max: 9000 })) }),
  fc.record({ field: fc.constant('sack' as const), blocks: fc.array(fc.tuple(seqDelta, seqDelta), { maxLength: 4 }) }),
  fc.record({ field: fc.constant('synOptions' as const), mss: fc.integer({ min: 0, max: 0xffff }), wscale: fc.integer({ min: 0, max: 255 }) }),
);

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('valid' as const), len: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 })), ackPart: fc.double({ min: 0, max: 1, noNaN: true }), fin: fc.boolean(), sackHole: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('mutated' as const), len: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 })), mutation: mutationArb }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('random' as const),
      flags: fc.constantFrom(...FLAG_SETS),
      seqOff: seqDelta,
      ackOff: seqDelta,
      len: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 })),
      win: fc.integer({ min: 0, max: 0xffff }),
      tsOff: fc.integer({ min: -100_000, max: 100_000 }),
      sack: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('replay' as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 200_000 })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('write' as const), n: fc.integer({ min: 0, max: 40_000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('read' as const), n: fc.integer({ min: 0, max: 40_000 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'shutdown' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'abort' as const }) },
);

export interface EngineCase {
  readonly fixture: string;
  readonly timestamps: boolean;
  readonly sackOK: boolean;
  readonly wscale: number | null;
  readonly iss: number;
  readonly irs: number;
  /** Small buffers make "never more than the capacity" reachable. */
  readonly smallBuffers: boolean;
  readonly ops: readonly Op[];
}

export const engineCaseArb = (fixtures: readonly string[] = FIXTURE_NAMES, maxOps = 40): fc.Arbitrary<EngineCase> =>
  fc.record({
    fixture: fc.constantFrom(...fixtures),
    timestamps: fc.boolean(),
    sackOK: fc.boolean(),
    wscale: fc.oneof(fc.constant(null), fc.constantFrom(0, 7, 14), fc.integer({ min: 0, max: 14 })),
    iss: isnArb,
    irs: isnArb,
    smallBuffers: fc.boolean(),
    ops: fc.array(opArb, { maxLength: maxOps }),
  });

class InvariantError extends Error {}

function check(condition: boolean, what: string): void {
  if (!condition) throw new InvariantError(what);
}

/** Run one case; throws on an escaped exception or a broken invariant. */
export function runEngineCase(k: EngineCase): void {
  const rcvCap = k.smallBuffers ? 8192 : 4 * 1024 * 1024;
  const sndCap = k.smallBuffers ? 16_384 : 4 * 1024 * 1024;
  const r = FIXTURES[k.fixture]!({
    timestamps: k.timestamps,
    sackOK: k.sackOK,
    wscale: k.wscale,
    iss: k.iss,
    irs: k.irs,
    config: { receiveBufferSize: rcvCap, sendBufferSize: sndCap },
  });
  const c: Connection = r.c;
  const history: SegSpec[] = [];
  let delivered = 0;
  let peerTs = 1_000;
  let lastEdge: number | undefined;
  let lastUna = c.sndUna;
  let lastRcvNxt: number | undefined;
  let irs = c.irs;
  const dataStart = (): number => seqAdd((c.irs ?? r.irs) >>> 0, 1);

  const afterStep = (): void => {
    check(seqLe(c.sndUna, c.sndNxt), `SND.UNA ${c.sndUna} > SND.NXT ${c.sndNxt}`);
    check(seqLe(c.sndNxt, c.sndMax), `SND.NXT ${c.sndNxt} > SND.MAX ${c.sndMax}`);
    check(seqGe(c.sndUna, lastUna), `SND.UNA moved back from ${lastUna} to ${c.sndUna}`);
    lastUna = c.sndUna;
    if (irs !== undefined) check(c.irs === irs, `IRS changed from ${irs} to ${c.irs}`);
    irs = c.irs;
    if (c.irs !== undefined) {
      if (lastRcvNxt !== undefined) check(seqGe(c.rcvNxt, lastRcvNxt), `RCV.NXT moved back from ${lastRcvNxt} to ${c.rcvNxt}`);
      lastRcvNxt = c.rcvNxt;
    }
    check(c.readable + c.outOfOrderBytes <= rcvCap, `receive buffer holds ${c.readable} + ${c.outOfOrderBytes} > ${rcvCap}`);
    check(c.sendQueued <= sndCap, `send buffer holds ${c.sendQueued} > ${sndCap}`);
    // One step sends at most what the windows allow: cwnd and the peer's window are below
    // 2 × the send buffer, so anything beyond (plus ACKs and probes) is a runaway.
    let sentBytes = 0;
    for (const s of r.pending) sentBytes += s.seg.payload.length;
    check(sentBytes <= 2 * sndCap + 65_536, `one step sent ${sentBytes} bytes`);
    check(r.pending.length <= 2 * (sndCap / 500) + 64, `one step sent ${r.pending.length} segments`);
    for (const s of r.pending) fmt(s.seg);
    r.pending = [];
    const name = c.stateName;
    // Data or a FIN in flight always has a timer that will resend it (RTO, probe or RACK):
    // without one the connection would wait forever.
    if (c.irs !== undefined && name !== 'CLOSED' && name !== 'TIME-WAIT' && name !== 'SYN-SENT' && name !== 'SYN-RECEIVED' && seqLt(c.sndUna, c.sndMax)) {
      check(c.nextDeadline() !== undefined, `${name} with ${seqDiff(c.sndMax, c.sndUna)} octets in flight and no timer`);
    }
    if (c.irs !== undefined && name !== 'CLOSED' && name !== 'TIME-WAIT') {
      const edge = seqAdd(c.rcvNxt, c.rcvWnd);
      if (lastEdge !== undefined) check(seqDiff(edge, lastEdge) >= 0, `window edge moved back from ${lastEdge} to ${edge}`);
      lastEdge = edge;
    }
  };

  const consume = (max?: number): void => {
    const d = c.read(max, r.now);
    r.drain();
    const start = dataStart();
    for (let i = 0; i < d.length; i++) {
      if (d[i] !== byteAt(seqAdd(start, delivered + i))) throw new InvariantError(`byte ${delivered + i} of the stream is wrong`);
    }
    delivered += d.length;
  };

  const payloadAt = (seq: number, len: number, syn: boolean): Uint8Array => {
    const p = new Uint8Array(len);
    const first = syn ? seqAdd(seq, 1) : seq;
    for (let i = 0; i < len; i++) p[i] = byteAt(seqAdd(first, i));
    return p;
  };

  /** What a well-behaved peer would send next: in-order data at RCV.NXT, an ACK of part of
   *  what we sent, its window, an increasing timestamp echoing nothing in particular. */
  const validSegment = (len: number, ackPart: number, fin: boolean, sackHole: boolean): SegSpec => {
    const seq = c.irs === undefined ? r.irs : c.rcvNxt;
    const outstanding = Math.max(0, seqDiff(c.sndMax, c.sndUna));
    const ack = seqAdd(c.sndUna, Math.floor(outstanding * ackPart));
    peerTs += 7;
    const room = Math.max(0, Math.min(len, c.rcvWnd));
    const flags = c.irs === undefined ? 'S.' : fin ? 'F.' : room > 0 ? 'P.' : '.';
    const sack: [number, number][] | undefined =
      sackHole && outstanding > 3000 ? [[seqAdd(c.sndUna, 1448), seqAdd(c.sndUna, Math.min(outstanding, 1448 * 3))]] : undefined;
    return {
      flags,
      seq,
      ack,
      win: 502,
      payload: payloadAt(seq, flags === 'S.' ? 0 : room, false),
      ts: k.timestamps ? [peerTs >>> 0, 0] : undefined,
      sack,
      ...(flags === 'S.' ? { mss: 1460, sackOK: k.sackOK, wscale: k.wscale ?? undefined } : {}),
    };
  };

  const inject = (spec: SegSpec): void => {
    history.push(spec);
    if (history.length > 64) history.shift();
    r.inject(spec);
  };

  afterStep();
  for (const op of k.ops) {
    switch (op.kind) {
      case 'valid':
        inject(validSegment(op.len, op.ackPart, op.fin, op.sackHole));
        break;
      case 'mutated': {
        const base = validSegment(op.len, 1, false, false);
        const m = op.mutation;
        let spec: SegSpec = base;
        switch (m.field) {
          case 'seq':
            spec = { ...base, seq: seqAdd(base.seq, m.delta), payload: payloadAt(seqAdd(base.seq, m.delta), (base.payload as Uint8Array).length, base.flags.includes('S')) };
            break;
          case 'ack':
            spec = { ...base, ack: seqAdd(base.ack ?? 0, m.delta) };
            break;
          case 'flags':
            spec = { ...base, flags: m.flags, payload: payloadAt(base.seq, (base.payload as Uint8Array).length, m.flags.includes('S')) };
            break;
          case 'win':
            spec = { ...base, win: m.win };
            break;
          case 'ts':
            spec = { ...base, ts: m.ts ?? undefined };
            break;
          case 'len':
            spec = { ...base, payload: payloadAt(base.seq, m.len, base.flags.includes('S')) };
            break;
          case 'sack':
            spec = { ...base, sack: m.blocks.map(([a, b]) => [seqAdd(c.sndUna, a), seqAdd(c.sndUna, b)] as const).slice(0, base.flags.includes('S') ? 1 : k.timestamps ? 3 : 4) };
            break;
          case 'synOptions':
            spec = { ...base, mss: m.mss, wscale: Math.min(m.wscale, 255), sackOK: true };
            break;
        }
        inject(spec);
        break;
      }
      case 'random': {
        const seq = seqAdd(c.irs === undefined ? r.irs : c.rcvNxt, op.seqOff);
        peerTs += 1;
        inject({
          flags: op.flags,
          seq,
          ack: seqAdd(c.sndUna, op.ackOff),
          win: op.win,
          payload: payloadAt(seq, op.len, op.flags.includes('S')),
          ts: k.timestamps ? [(peerTs + op.tsOff) >>> 0, 0] : undefined,
          sack: op.sack ? [[seqAdd(c.sndUna, 100), seqAdd(c.sndUna, 2000)]] : undefined,
        });
        break;
      }
      case 'replay':
        if (history.length > 0) r.inject(history[op.pick % history.length]!);
        break;
      case 'advance':
        r.advance(op.ms);
        break;
      case 'write':
        c.write(new Uint8Array(op.n), r.now);
        r.drain();
        break;
      case 'read':
        consume(op.n);
        break;
      case 'close':
        r.close();
        break;
      case 'shutdown':
        r.shutdown();
        break;
      case 'abort':
        r.abort();
        break;
    }
    afterStep();
  }
  consume();
  afterStep();
  // Whatever happened, time can run out: every state ends or waits without a busy timer.
  r.advance(3_000_000);
  consume();
  afterStep();
  const d = c.nextDeadline();
  check(d === undefined || d > r.now, `a timer is due at ${d} but did not fire by ${r.now}`);
}

export const engineProperty = (fixtures?: readonly string[]) => fc.property(engineCaseArb(fixtures), runEngineCase);
