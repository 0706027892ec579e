/**
 * Two engines back to back over a virtual wire, in virtual time: every segment is encoded and
 * parsed again (src/wire), delayed, possibly dropped or reordered by a seeded PRNG.
 */

import { buildTcpSegment, parseTcp, type TcpSegment } from '../../../../src/wire/tcp.js';
import { Connection } from '../../../../src/tcp/connection.js';
import type { TcpConfig } from '../../../../src/tcp/config.js';
import type { TcpEvent } from '../../../../src/tcp/events.js';
import { toTcpSegmentFields, type Endpoint, type OutgoingSegment } from '../../../../src/tcp/outgoing-segment.js';
import { LOCAL, REMOTE } from './index.js';

/** Mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface WireOptions {
  readonly bytes: number;
  readonly seed?: number;
  /** One-way delay, ms. */
  readonly delay?: number;
  /** Probability that a segment is dropped. */
  readonly loss?: number;
  /** Probability that a segment is held back by up to 2 × delay extra. */
  readonly reorder?: number;
  /** Probability that a segment is delivered twice. */
  readonly duplicate?: number;
  readonly configA?: Partial<TcpConfig>;
  readonly configB?: Partial<TcpConfig>;
  /** Bytes B reads per wakeup (default: all). */
  readonly readChunk?: number;
  /** Give up after this much virtual time. */
  readonly limit?: number;
}

export interface WireResult {
  readonly received: Uint8Array;
  readonly sent: Uint8Array;
  readonly time: number;
  readonly a: Connection;
  readonly b: Connection;
  readonly events: { readonly a: TcpEvent[]; readonly b: TcpEvent[] };
  readonly dropped: number;
  readonly delivered: number;
}

interface InFlight {
  readonly at: number;
  readonly order: number;
  readonly toB: boolean;
  readonly seg: TcpSegment;
}

function encode(s: OutgoingSegment, from: Endpoint, to: Endpoint): TcpSegment {
  const raw = buildTcpSegment(toTcpSegmentFields(s, from, to), from.address, to.address);
  const parsed = parseTcp(raw);
  if (!parsed.ok) throw new Error('bad segment on the wire');
  return parsed;
}

export function runTransfer(o: WireOptions): WireResult {
  const rand = prng(o.seed ?? 1);
  const delay = o.delay ?? 10;
  const loss = o.loss ?? 0;
  const reorder = o.reorder ?? 0;
  const duplicate = o.duplicate ?? 0;
  const limit = o.limit ?? 10_000_000;
  const sent = new Uint8Array(o.bytes);
  for (let i = 0; i < sent.length; i++) sent[i] = (i * 7 + (i >>> 11)) & 0xff;
  const received = new Uint8Array(o.bytes);
  let got = 0;
  let written = 0;
  const events = { a: [] as TcpEvent[], b: [] as TcpEvent[] };
  let now = 0;
  let order = 0;
  let dropped = 0;
  let delivered = 0;
  const flight: InFlight[] = [];

  const a = Connection.connect({ local: LOCAL, remote: REMOTE, iss: 0xfffff000, now, mss: 1460, config: o.configA, events: (e) => events.a.push(e), tsOffset: 12345 });
  let b: Connection | undefined;

  const ship = (c: Connection, toB: boolean): void => {
    for (const s of c.takeOutput()) {
      if (rand() < loss) {
        dropped++;
        continue;
      }
      const copies = rand() < duplicate ? 2 : 1;
      for (let k = 0; k < copies; k++) {
        const extra = rand() < reorder ? rand() * 2 * delay : 0;
        flight.push({ at: now + delay + extra, order: order++, toB, seg: toB ? encode(s, LOCAL, REMOTE) : encode(s, REMOTE, LOCAL) });
      }
    }
  };

  let closedA = false;
  let closedB = false;
  const app = (): void => {
    while (written < sent.length) {
      const r = a.write(sent.subarray(written), now);
      if (typeof r !== 'number' || r === 0) break;
      written += r;
    }
    // Half-close first, like a client that shuts down its write side and reads to the end: an
    // orphan (close() at once) would give up after tcp_orphan_retries on a very lossy path.
    if (written === sent.length && !closedA && a.stateName !== 'SYN-SENT') {
      a.shutdownWrite(now);
      closedA = true;
    }
    if (closedA && a.peerClosed && !a.orphaned) a.close(now);
    if (b !== undefined) {
      for (;;) {
        const d = b.read(o.readChunk, now);
        if (d.length === 0) break;
        received.set(d, got);
        got += d.length;
      }
      if (b.peerClosed && !closedB) {
        b.close(now);
        closedB = true;
      }
    }
  };

  ship(a, true);
  for (let guard = 0; guard < 5_000_000; guard++) {
    app();
    ship(a, true);
    if (b !== undefined) ship(b, false);
    let next = Number.POSITIVE_INFINITY;
    for (const f of flight) if (f.at < next) next = f.at;
    const da = a.nextDeadline();
    const db = b?.nextDeadline();
    if (da !== undefined && da < next) next = da;
    if (db !== undefined && db < next) next = db;
    if (next === Number.POSITIVE_INFINITY || next > limit) break;
    now = Math.max(now, next);
    // Deliver everything due, in arrival order.
    const due = flight.filter((f) => f.at <= now).sort((x, y) => x.at - y.at || x.order - y.order);
    for (const f of due) flight.splice(flight.indexOf(f), 1);
    for (const f of due) {
      delivered++;
      if (f.toB) {
        if (b === undefined) {
          if (f.seg.flags === 0x02) {
            b = Connection.acceptSyn(f.seg, { local: REMOTE, remote: LOCAL, iss: 0x7ffffff0, now, mss: 1460, config: o.configB, events: (e) => events.b.push(e), tsOffset: 999 });
          }
        } else b.input(f.seg, now);
      } else a.input(f.seg, now);
    }
    a.poll(now);
    b?.poll(now);
    if (b !== undefined && a.stateName === 'CLOSED' && (b.stateName === 'CLOSED' || b.stateName === 'TIME-WAIT') && flight.length === 0) break;
  }
  if (b === undefined) throw new Error('the SYN never arrived');
  return { received: received.subarray(0, got), sent, time: now, a, b, events, dropped, delivered };
}
