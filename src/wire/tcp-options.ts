/**
 * TCP options (RFC 9293 §3.2): the kinds tcplab speaks, their decoding in two forms, their
 * encoding, and Linux's layout.
 *
 * Two decoded forms, for two uses:
 * - the *summary* that {@link parseTcp} puts on every segment (`mss`, `windowScale`,
 *   `sackPermitted`, `tsVal`/`tsEcr`, `sackBlocks`, `unknownOptions`, `optionsMalformed`), the
 *   equivalent of Linux's `struct tcp_options_received`: one pass, no allocation for the common
 *   options, the last occurrence winning as in Linux;
 * - the *list* from {@link decodeTcpOptions}: every option in wire order, NOPs included, for
 *   printing, tests, and re-encoding with {@link encodeTcpOptions}.
 *
 * Malformed options never fail a segment. Linux's `tcp_parse_options` stops reading at a length
 * octet below 2 or one that runs past the header, keeps what it read, and processes the segment;
 * it skips a known kind with the wrong length. tcplab does the same and sets `optionsMalformed`
 * (the list form: `malformed`) so the stack can count it. A known kind with the wrong length is
 * kept as an `unknown` option, with its bytes.
 */

import { readU16, readU32, writeU16, writeU32 } from './bytes.js';

/** Option kinds (RFC 9293 §3.2, IANA "TCP Option Kind Numbers"). */
export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
/** Maximum Segment Size (RFC 9293 §3.7.1). */
export const TCPOPT_MSS = 2;
/** Window Scale (RFC 7323 §2). */
export const TCPOPT_WINDOW_SCALE = 3;
/** SACK-Permitted (RFC 2018 §2). */
export const TCPOPT_SACK_PERMITTED = 4;
/** SACK (RFC 2018 §3). */
export const TCPOPT_SACK = 5;
/** Timestamps (RFC 7323 §3). */
export const TCPOPT_TIMESTAMPS = 8;

export const TCPOLEN_MSS = 4;
export const TCPOLEN_WINDOW_SCALE = 3;
export const TCPOLEN_SACK_PERMITTED = 2;
export const TCPOLEN_TIMESTAMPS = 10;
/** A SACK option is 2 + 8n octets (RFC 2018 §3). */
export const TCPOLEN_SACK_BASE = 2;
export const TCPOLEN_SACK_PER_BLOCK = 8;

/** Options occupy at most 40 bytes: Data Offset is 4 bits of words, minus the 20-byte header. */
export const TCP_MAX_OPTIONS_LENGTH = 40;

/** RFC 2018 §3: a block of data received, from Left Edge to the sequence number after it. */
export interface SackBlock {
  readonly left: number;
  readonly right: number;
}

/** An option tcplab does not interpret (or a known kind with the wrong length): kept, ignored. */
export interface TcpUnknownOption {
  readonly kind: 'unknown';
  /** The Kind octet. */
  readonly optionKind: number;
  /** The bytes after Kind and Length. */
  readonly data: Uint8Array;
}

export type TcpOption =
  | { readonly kind: 'eol' }
  | { readonly kind: 'nop' }
  | { readonly kind: 'mss'; readonly mss: number }
  /** RFC 7323 §2.2: the shift count; Linux clamps values above 14 when it uses them. */
  | { readonly kind: 'window-scale'; readonly shift: number }
  | { readonly kind: 'sack-permitted' }
  | { readonly kind: 'sack'; readonly blocks: readonly SackBlock[] }
  | { readonly kind: 'timestamps'; readonly tsVal: number; readonly tsEcr: number }
  | TcpUnknownOption;

export const NO_SACK_BLOCKS: readonly SackBlock[] = Object.freeze([]);
export const NO_UNKNOWN_OPTIONS: readonly TcpUnknownOption[] = Object.freeze([]);

/** The summary form, filled in place by {@link readTcpOptions}. */
export interface TcpOptionSummary {
  mss: number | undefined;
  windowScale: number | undefined;
  sackPermitted: boolean;
  tsVal: number | undefined;
  tsEcr: number | undefined;
  sackBlocks: readonly SackBlock[];
  unknownOptions: readonly TcpUnknownOption[];
  malformed: boolean;
}

function readSackBlocks(b: Uint8Array, start: number, end: number): SackBlock[] {
  const blocks: SackBlock[] = [];
  for (let i = start; i < end; i += TCPOLEN_SACK_PER_BLOCK) blocks.push({ left: readU32(b, i), right: readU32(b, i + 4) });
  return blocks;
}

function sackLengthValid(length: number): boolean {
  return length >= TCPOLEN_SACK_BASE + TCPOLEN_SACK_PER_BLOCK && (length - TCPOLEN_SACK_BASE) % TCPOLEN_SACK_PER_BLOCK === 0;
}

/**
 * The summary of the options in `b[start, end)`, written into `out` (which it resets first). The
 * walk is Linux's `tcp_parse_options`, including its fast path for the aligned timestamp layout
 * `NOP NOP TS` that every Linux data segment carries (`tcp_fast_parse_options`).
 */
export function readTcpOptions(b: Uint8Array, start: number, end: number, out: TcpOptionSummary): void {
  out.mss = undefined;
  out.windowScale = undefined;
  out.sackPermitted = false;
  out.tsVal = undefined;
  out.tsEcr = undefined;
  out.sackBlocks = NO_SACK_BLOCKS;
  out.unknownOptions = NO_UNKNOWN_OPTIONS;
  out.malformed = false;
  if (end - start === 12 && b[start] === TCPOPT_NOP && b[start + 1] === TCPOPT_NOP
    && b[start + 2] === TCPOPT_TIMESTAMPS && b[start + 3] === TCPOLEN_TIMESTAMPS) {
    out.tsVal = readU32(b, start + 4);
    out.tsEcr = readU32(b, start + 8);
    return;
  }
  let i = start;
  while (i < end) {
    const kind = b[i];
    if (kind === TCPOPT_EOL) return;
    if (kind === TCPOPT_NOP) {
      i++;
      continue;
    }
    // RFC 9293 §3.1: the length octet counts Kind and Length, so it is at least 2, and the option
    // must end inside the header; Linux stops reading here and keeps the segment.
    const length = i + 1 < end ? b[i + 1] : 0;
    if (length < 2 || i + length > end) {
      out.malformed = true;
      return;
    }
    if (kind === TCPOPT_MSS && length === TCPOLEN_MSS) out.mss = readU16(b, i + 2);
    else if (kind === TCPOPT_WINDOW_SCALE && length === TCPOLEN_WINDOW_SCALE) out.windowScale = b[i + 2];
    else if (kind === TCPOPT_SACK_PERMITTED && length === TCPOLEN_SACK_PERMITTED) out.sackPermitted = true;
    else if (kind === TCPOPT_TIMESTAMPS && length === TCPOLEN_TIMESTAMPS) {
      out.tsVal = readU32(b, i + 2);
      out.tsEcr = readU32(b, i + 6);
    } else if (kind === TCPOPT_SACK && sackLengthValid(length)) out.sackBlocks = readSackBlocks(b, i + 2, i + length);
    else {
      if (kind <= TCPOPT_SACK || kind === TCPOPT_TIMESTAMPS) out.malformed = true; // known kind, wrong length
      const unknown: TcpUnknownOption = { kind: 'unknown', optionKind: kind, data: b.subarray(i + 2, i + length) };
      out.unknownOptions = out.unknownOptions === NO_UNKNOWN_OPTIONS ? [unknown] : [...out.unknownOptions, unknown];
    }
    i += length;
  }
}

export interface TcpOptionList {
  readonly options: TcpOption[];
  /** The walk stopped at a bad length octet, or a known kind had the wrong length. */
  readonly malformed: boolean;
}

/**
 * Every option in `raw` in wire order, EOL included (and ending the list: what follows it is
 * padding). Same rules as the summary: a bad length octet ends the list with `malformed`.
 */
export function decodeTcpOptions(raw: Uint8Array): TcpOptionList {
  const options: TcpOption[] = [];
  let malformed = false;
  let i = 0;
  while (i < raw.length) {
    const kind = raw[i];
    if (kind === TCPOPT_EOL) {
      options.push({ kind: 'eol' });
      break;
    }
    if (kind === TCPOPT_NOP) {
      options.push({ kind: 'nop' });
      i++;
      continue;
    }
    const length = i + 1 < raw.length ? raw[i + 1] : 0;
    if (length < 2 || i + length > raw.length) {
      malformed = true;
      break;
    }
    if (kind === TCPOPT_MSS && length === TCPOLEN_MSS) options.push({ kind: 'mss', mss: readU16(raw, i + 2) });
    else if (kind === TCPOPT_WINDOW_SCALE && length === TCPOLEN_WINDOW_SCALE) options.push({ kind: 'window-scale', shift: raw[i + 2] });
    else if (kind === TCPOPT_SACK_PERMITTED && length === TCPOLEN_SACK_PERMITTED) options.push({ kind: 'sack-permitted' });
    else if (kind === TCPOPT_TIMESTAMPS && length === TCPOLEN_TIMESTAMPS) {
      options.push({ kind: 'timestamps', tsVal: readU32(raw, i + 2), tsEcr: readU32(raw, i + 6) });
    } else if (kind === TCPOPT_SACK && sackLengthValid(length)) {
      options.push({ kind: 'sack', blocks: readSackBlocks(raw, i + 2, i + length) });
    } else {
      if (kind <= TCPOPT_SACK || kind === TCPOPT_TIMESTAMPS) malformed = true;
      options.push({ kind: 'unknown', optionKind: kind, data: raw.subarray(i + 2, i + length) });
    }
    i += length;
  }
  return { options, malformed };
}

function encodedLength(o: TcpOption): number {
  switch (o.kind) {
    case 'eol':
    case 'nop':
      return 1;
    case 'mss':
      return TCPOLEN_MSS;
    case 'window-scale':
      return TCPOLEN_WINDOW_SCALE;
    case 'sack-permitted':
      return TCPOLEN_SACK_PERMITTED;
    case 'sack':
      return TCPOLEN_SACK_BASE + TCPOLEN_SACK_PER_BLOCK * o.blocks.length;
    case 'timestamps':
      return TCPOLEN_TIMESTAMPS;
    case 'unknown':
      return 2 + o.data.length;
  }
}

/** The bytes the options take once padded to a 32-bit boundary (RFC 9293 §3.1). */
export function tcpOptionsLength(options: readonly TcpOption[]): number {
  let length = 0;
  for (const o of options) length += encodedLength(o);
  return (length + 3) & ~3;
}

/**
 * Writes the options in exactly the given order at `buf[offset]`, then zeros to the next 32-bit
 * boundary (RFC 9293 §3.1: "The TCP header padding is used to ensure that the TCP header ends
 * ... on a 32-bit boundary. The padding is composed of zeros", which reads as End of Option List
 * when no EOL was given). Returns the padded length. Throws RangeError past 40 bytes.
 */
export function encodeTcpOptions(options: readonly TcpOption[], buf: Uint8Array, offset: number): number {
  const padded = tcpOptionsLength(options);
  if (padded > TCP_MAX_OPTIONS_LENGTH) throw new RangeError(`TCP options take ${padded} bytes, more than 40`);
  let at = offset;
  for (const o of options) {
    switch (o.kind) {
      case 'eol':
        buf[at++] = TCPOPT_EOL;
        break;
      case 'nop':
        buf[at++] = TCPOPT_NOP;
        break;
      case 'mss':
        buf[at] = TCPOPT_MSS;
        buf[at + 1] = TCPOLEN_MSS;
        writeU16(buf, at + 2, o.mss);
        at += TCPOLEN_MSS;
        break;
      case 'window-scale':
        buf[at] = TCPOPT_WINDOW_SCALE;
        buf[at + 1] = TCPOLEN_WINDOW_SCALE;
        buf[at + 2] = o.shift;
        at += TCPOLEN_WINDOW_SCALE;
        break;
      case 'sack-permitted':
        buf[at] = TCPOPT_SACK_PERMITTED;
        buf[at + 1] = TCPOLEN_SACK_PERMITTED;
        at += TCPOLEN_SACK_PERMITTED;
        break;
      case 'sack':
        buf[at] = TCPOPT_SACK;
        buf[at + 1] = TCPOLEN_SACK_BASE + TCPOLEN_SACK_PER_BLOCK * o.blocks.length;
        at += TCPOLEN_SACK_BASE;
        for (const block of o.blocks) {
          writeU32(buf, at, block.left);
          writeU32(buf, at + 4, block.right);
          at += TCPOLEN_SACK_PER_BLOCK;
        }
        break;
      case 'timestamps':
        buf[at] = TCPOPT_TIMESTAMPS;
        buf[at + 1] = TCPOLEN_TIMESTAMPS;
        writeU32(buf, at + 2, o.tsVal);
        writeU32(buf, at + 6, o.tsEcr);
        at += TCPOLEN_TIMESTAMPS;
        break;
      case 'unknown':
        buf[at] = o.optionKind;
        buf[at + 1] = 2 + o.data.length;
        buf.set(o.data, at + 2);
        at += 2 + o.data.length;
        break;
    }
  }
  buf.fill(0, at, offset + padded);
  return padded;
}

/** What a Linux sender puts in its options; the fields match a parsed segment's summary. */
export interface LinuxTcpOptionFields {
  readonly mss?: number;
  readonly sackPermitted?: boolean;
  /** Timestamps are sent when `tsVal` is given; `tsEcr` defaults to 0 (RFC 7323 §3.2, SYN). */
  readonly tsVal?: number;
  readonly tsEcr?: number;
  readonly windowScale?: number;
  readonly sackBlocks?: readonly SackBlock[];
}

const NOP: TcpOption = { kind: 'nop' };

/**
 * The options in the order and alignment of Linux's `tcp_options_write`: MSS; timestamps, behind
 * SACK-Permitted when both are sent (so the pair fills 12 bytes without padding) or else behind
 * two NOPs; SACK-Permitted alone behind two NOPs; NOP and window scale; two NOPs and the SACK
 * blocks. Every option ends on a 32-bit boundary, so no padding is ever needed.
 */
export function linuxTcpOptions(o: LinuxTcpOptionFields): TcpOption[] {
  const options: TcpOption[] = [];
  if (o.mss !== undefined) options.push({ kind: 'mss', mss: o.mss });
  if (o.tsVal !== undefined) {
    if (o.sackPermitted) options.push({ kind: 'sack-permitted' });
    else options.push(NOP, NOP);
    options.push({ kind: 'timestamps', tsVal: o.tsVal, tsEcr: o.tsEcr ?? 0 });
  } else if (o.sackPermitted) {
    options.push(NOP, NOP, { kind: 'sack-permitted' });
  }
  if (o.windowScale !== undefined) options.push(NOP, { kind: 'window-scale', shift: o.windowScale });
  if (o.sackBlocks !== undefined && o.sackBlocks.length > 0) options.push(NOP, NOP, { kind: 'sack', blocks: o.sackBlocks });
  return options;
}

/**
 * A Linux SYN's options. With MSS 1460, SACK, timestamps and window scale 7 this gives
 * `02 04 05 b4  04 02 08 0a <tsval> <tsecr>  01 03 03 07`, which tcpdump prints as
 * `[mss 1460,sackOK,TS val … ecr 0,nop,wscale 7]`.
 */
export function linuxSynOptions(o: LinuxTcpOptionFields & { readonly mss: number }): TcpOption[] {
  return linuxTcpOptions(o);
}
