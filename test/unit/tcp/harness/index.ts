/**
 * A packetdrill-like harness for one {@link Connection}: build the peer's segments in one line,
 * inject them, move virtual time, and compare what the engine sends with tcpdump's text
 * (src/wire/format.ts) after a round trip through the real encoder and parser.
 */

import { expect } from 'vitest';
import { buildTcpSegment, parseTcp, type TcpSegment } from '../../../../src/wire/tcp.js';
import { linuxTcpOptions } from '../../../../src/wire/tcp-options.js';
import { formatTcpSegment } from '../../../../src/wire/format.js';
import { Connection, type ConnectionOptions, type IncomingSegment } from '../../../../src/tcp/connection.js';
import type { TcpConfig } from '../../../../src/tcp/config.js';
import type { TcpEvent } from '../../../../src/tcp/events.js';
import { toTcpSegmentFields, type Endpoint, type OutgoingSegment } from '../../../../src/tcp/outgoing-segment.js';

export const LOCAL: Endpoint = { address: 0x0a000001, port: 40000 };
export const REMOTE: Endpoint = { address: 0x0a000002, port: 80 };
/** Our ISS and the peer's, in every fixture. */
export const ISS = 1000;
export const IRS = 5000;
export const MSS = 1460;

const FLAG_BITS: Readonly<Record<string, number>> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, '.': 0x10, U: 0x20, E: 0x40, W: 0x80 };

export function flagsOf(text: string): number {
  let f = 0;
  for (const ch of text) {
    const bit = FLAG_BITS[ch];
    if (bit === undefined) throw new Error(`unknown flag ${ch}`);
    f |= bit;
  }
  return f;
}

export interface SegSpec {
  /** tcpdump letters: 'S', 'S.', '.', 'P.', 'F.', 'FP.', 'R', 'R.'. */
  readonly flags: string;
  readonly seq: number;
  readonly ack?: number;
  /** The raw Window field. Default 502 (64256 with wscale 7), 65535 in a SYN. */
  readonly win?: number;
  readonly ts?: readonly [number, number];
  readonly sack?: readonly (readonly [number, number])[];
  readonly mss?: number;
  readonly wscale?: number;
  readonly sackOK?: boolean;
  /** Bytes, a string, or a length (filled with a pattern). */
  readonly payload?: Uint8Array | string | number;
}

export function bytes(n: number, start = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (start + i) & 0xff;
  return b;
}

/** The peer's segment, encoded and parsed again so it is exactly what the wire would give. */
export function seg(spec: SegSpec): TcpSegment {
  const flags = flagsOf(spec.flags);
  const payload = typeof spec.payload === 'string' ? new TextEncoder().encode(spec.payload) : typeof spec.payload === 'number' ? bytes(spec.payload) : spec.payload;
  const options = linuxTcpOptions({
    mss: spec.mss,
    sackPermitted: spec.sackOK,
    tsVal: spec.ts?.[0],
    tsEcr: spec.ts?.[1],
    windowScale: spec.wscale,
    sackBlocks: spec.sack?.map(([left, right]) => ({ left, right })),
  });
  const raw = buildTcpSegment(
    { srcPort: REMOTE.port, dstPort: LOCAL.port, seq: spec.seq >>> 0, ack: (spec.ack ?? 0) >>> 0, flags, window: spec.win ?? (flags & 0x02 ? 65535 : 502), options, payload },
    REMOTE.address,
    LOCAL.address,
  );
  const parsed = parseTcp(raw);
  if (!parsed.ok) throw new Error('harness built a bad segment');
  return parsed;
}

/** tcpdump's text for one of our segments, via the real encoder. */
export function fmt(s: OutgoingSegment): string {
  const raw = buildTcpSegment(toTcpSegmentFields(s, LOCAL, REMOTE), LOCAL.address, REMOTE.address);
  const parsed = parseTcp(raw);
  if (!parsed.ok) throw new Error('engine built a bad segment');
  return formatTcpSegment(parsed);
}

export interface Sent {
  readonly at: number;
  readonly seg: OutgoingSegment;
}

export class Rig {
  now: number;
  /** The ISNs this rig's fixture used. */
  iss = ISS;
  irs = IRS;
  readonly events: TcpEvent[] = [];
  /** Everything sent since the last expect, with the time it was sent. */
  pending: Sent[] = [];
  /** Everything ever sent. */
  readonly log: Sent[] = [];
  c!: Connection;

  constructor(now = 0) {
    this.now = now;
  }

  options(config: Partial<TcpConfig> = {}, extra: Partial<ConnectionOptions> = {}): ConnectionOptions {
    return { local: LOCAL, remote: REMOTE, iss: ISS, now: this.now, mss: MSS, config, events: (e) => this.events.push(e), ...extra };
  }

  /** Drain the engine's outbox into `pending`. */
  drain(): void {
    for (const s of this.c.takeOutput()) {
      const sent = { at: this.now, seg: s };
      this.pending.push(sent);
      this.log.push(sent);
    }
  }

  inject(spec: SegSpec | IncomingSegment): this {
    const s: IncomingSegment = typeof spec.flags === 'string' ? seg(spec as SegSpec) : (spec as IncomingSegment);
    this.c.input(s, this.now);
    this.drain();
    return this;
  }

  /** Virtual time: poll at every deadline up to now + ms, then stop at now + ms. */
  advance(ms: number): this {
    return this.advanceTo(this.now + ms);
  }

  advanceTo(target: number): this {
    for (let guard = 0; guard < 100_000; guard++) {
      const d = this.c.nextDeadline();
      if (d === undefined || d > target) break;
      this.now = Math.max(this.now, d);
      this.c.poll(this.now);
      this.drain();
    }
    this.now = target;
    return this;
  }

  write(data: Uint8Array | string | number): number {
    const b = typeof data === 'string' ? new TextEncoder().encode(data) : typeof data === 'number' ? bytes(data) : data;
    const r = this.c.write(b, this.now);
    this.drain();
    if (typeof r !== 'number') throw new Error(`write failed: ${r.error}`);
    return r;
  }

  read(max?: number): Uint8Array {
    const d = this.c.read(max, this.now);
    this.drain();
    return d;
  }

  close(): this {
    this.c.close(this.now);
    this.drain();
    return this;
  }

  shutdown(): this {
    this.c.shutdownWrite(this.now);
    this.drain();
    return this;
  }

  abort(): this {
    this.c.abort(this.now);
    this.drain();
    return this;
  }

  /** The text of what was sent since the last call, and forget it. */
  out(): string[] {
    const t = this.pending.map((s) => fmt(s.seg));
    this.pending = [];
    return t;
  }

  /** Exactly these segments were sent (tcpdump text, `Flags [...]` onwards). */
  expectSegments(lines: readonly string[]): this {
    expect(this.out()).toEqual(lines);
    return this;
  }

  /**
   * Field matchers instead of text: each expected entry is matched against the segment at the
   * same position (only the fields given; `flags` in tcpdump letters, `len` the payload length).
   */
  expectFields(expected: readonly Partial<{ flags: string; seq: number; ack: number; win: number; len: number }>[]): this {
    const sent = this.pending;
    this.pending = [];
    expect(sent).toHaveLength(expected.length);
    expected.forEach((e, i) => {
      const s = sent[i]!.seg;
      const actual = { flags: s.flags, seq: s.seq, ack: s.ack, win: s.window, len: s.payload.length };
      const want = { ...actual, ...e, flags: e.flags === undefined ? s.flags : flagsOf(e.flags) };
      expect(actual).toEqual(want);
    });
    return this;
  }

  expectNothing(): this {
    expect(this.out()).toEqual([]);
    return this;
  }

  expectState(name: string): this {
    expect(this.c.stateName).toBe(name);
    return this;
  }

  /** The state changes reported, as 'FROM>TO'. */
  transitions(): string[] {
    return this.events.flatMap((e) => (e.type === 'state' ? [`${e.from}>${e.to}`] : []));
  }
}

export interface FixtureOptions {
  readonly config?: Partial<TcpConfig>;
  /** The peer offers timestamps (then TSval 100 + time, TSecr echoing ours). Default false. */
  readonly timestamps?: boolean;
  readonly sackOK?: boolean;
  /** The peer's window scale (undefined: none offered). Default 7. */
  readonly wscale?: number | null;
  readonly peerMss?: number;
  /** The peer's raw window field after the handshake. Default 502. */
  readonly win?: number;
  /** Other initial sequence numbers than ISS and IRS (then use `r.irs` / `r.iss` in tests). */
  readonly iss?: number;
  readonly irs?: number;
}

function peerSynOptions(o: FixtureOptions, now: number, ecr: number): Partial<SegSpec> {
  return {
    mss: o.peerMss ?? 1460,
    sackOK: o.sackOK ?? true,
    wscale: o.wscale === null ? undefined : (o.wscale ?? 7),
    ts: o.timestamps ? [100 + now, ecr] : undefined,
  };
}

/** SYN-SENT: connect() done, SYN taken off the outbox. */
export function synSent(o: FixtureOptions = {}): Rig {
  const r = new Rig();
  r.iss = o.iss ?? ISS;
  r.irs = o.irs ?? IRS;
  r.c = Connection.connect(r.options(o.config, { iss: r.iss }));
  r.drain();
  r.pending = [];
  return r;
}

/** ESTABLISHED by active open; our ISS 1000 (SND.NXT 1001), the peer's 5000 (RCV.NXT 5001). */
export function established(o: FixtureOptions = {}): Rig {
  const r = synSent(o);
  r.inject(seg({ flags: 'S.', seq: r.irs, ack: (r.iss + 1) >>> 0, win: 65535, ...peerSynOptions(o, r.now, 0) }));
  r.pending = [];
  if (o.win !== undefined) {
    r.inject(seg({ flags: '.', seq: (r.irs + 1) >>> 0, ack: (r.iss + 1) >>> 0, win: o.win, ts: o.timestamps ? [100 + r.now, r.now] : undefined }));
    r.pending = [];
  }
  return r;
}

/** SYN-RECEIVED by passive open (the peer's SYN with IRS 5000). */
export function synReceived(o: FixtureOptions = {}): Rig {
  const r = new Rig();
  r.iss = o.iss ?? ISS;
  r.irs = o.irs ?? IRS;
  const syn = seg({ flags: 'S', seq: r.irs, win: 64240, ...peerSynOptions(o, r.now, 0) });
  r.c = Connection.acceptSyn(syn, r.options(o.config, { iss: r.iss }));
  r.drain();
  r.pending = [];
  return r;
}

/** ESTABLISHED by passive open. */
export function passiveEstablished(o: FixtureOptions = {}): Rig {
  const r = synReceived(o);
  r.inject(seg({ flags: '.', seq: (r.irs + 1) >>> 0, ack: (r.iss + 1) >>> 0, win: o.win ?? 502, ts: o.timestamps ? [100 + r.now, r.now] : undefined }));
  r.pending = [];
  return r;
}

/** FIN-WAIT-1: established, then close(); our FIN (seq 1001) is out. */
export function finWait1(o: FixtureOptions = {}, orphan = true): Rig {
  const r = established(o);
  if (orphan) r.close();
  else r.shutdown();
  r.pending = [];
  return r;
}

/** FIN-WAIT-2: the peer ACKed our FIN. */
export function finWait2(o: FixtureOptions = {}, orphan = true): Rig {
  const r = finWait1(o, orphan);
  r.inject(seg({ flags: '.', seq: (r.irs + 1) >>> 0, ack: (r.iss + 2) >>> 0, ts: o.timestamps ? [100 + r.now, r.now] : undefined }));
  r.pending = [];
  return r;
}

/** TIME-WAIT: the peer's FIN (seq 5001) arrived in FIN-WAIT-2 and was ACKed. */
export function timeWait(o: FixtureOptions = {}): Rig {
  const r = finWait2(o);
  r.inject(seg({ flags: 'F.', seq: (r.irs + 1) >>> 0, ack: (r.iss + 2) >>> 0, ts: o.timestamps ? [100 + r.now, r.now] : undefined }));
  r.pending = [];
  return r;
}

/** CLOSE-WAIT: the peer's FIN (seq 5001) arrived in ESTABLISHED. */
export function closeWait(o: FixtureOptions = {}): Rig {
  const r = established(o);
  r.inject(seg({ flags: 'F.', seq: (r.irs + 1) >>> 0, ack: (r.iss + 1) >>> 0, ts: o.timestamps ? [100 + r.now, r.now] : undefined }));
  r.advance(200);
  r.pending = [];
  return r;
}

/** LAST-ACK: CLOSE-WAIT, then close(); our FIN (seq 1001) is out. */
export function lastAck(o: FixtureOptions = {}): Rig {
  const r = closeWait(o);
  r.close();
  r.pending = [];
  return r;
}

/** CLOSING: FIN-WAIT-1 and the peer's FIN crossed ours (it does not ACK our FIN). */
export function closing(o: FixtureOptions = {}): Rig {
  const r = finWait1(o);
  r.inject(seg({ flags: 'F.', seq: (r.irs + 1) >>> 0, ack: (r.iss + 1) >>> 0, ts: o.timestamps ? [100 + r.now, r.now] : undefined }));
  r.pending = [];
  return r;
}
