// SYN cookies as Linux makes them (net/ipv4/syncookies.c, net/ipv6/syncookies.c): when a
// listener's SYN queue is full, the SYN-ACK's sequence number itself carries what the half-open
// request would have stored (the MSS class, and a coarse clock to age it), so the request can be
// rebuilt from the handshake's final ACK without keeping any state. RFC 4987 §3.6 describes the
// technique; the encoding is Linux's, so captures look the same as the kernel's.
//
// The ISN is
//   H0(4-tuple) + SEG.SEQ(SYN) + (count << 24) + ((H1(4-tuple, count) + mssIndex) mod 2^24)
// where count is the minute clock (tcp_cookie_time) and H0, H1 are SipHash-2-4 under two secrets
// (Linux's syncookie_secret[2]). The final ACK acknowledges ISN + 1 and carries SEQ = SYN.SEQ + 1,
// which is all check() needs.
//
// Window scale, SACK and ECN, which the SYN offered and the cookie has no room for, go in the low
// 6 bits of the SYN-ACK's TSval; the final ACK echoes them in TSecr (cookie_init_timestamp,
// cookie_timestamp_decode). Without timestamps they are lost, as on Linux.
import { randomBytes } from 'node:crypto';
import type { IpAddress } from '../wire/address.js';
import { SIPHASH_KEY_BYTES, sipHash24, sipHashKey, type SipHashKey } from './siphash.js';
import { putAddress, putPort, putU32Le, tupleScratch } from './tuple-bytes.js';

/** Linux msstab (net/ipv4/syncookies.c): the four MSS values an IPv4 cookie can carry, sorted
 *  (2 bits of the cookie). */
export const SYN_COOKIE_MSS_TABLE: readonly number[] = [536, 1300, 1440, 1460];

/** Linux's IPv6 msstab (net/ipv6/syncookies.c): MTUs 1280, 1480, 1500 and 9000 less 60. */
export const SYN_COOKIE_MSS_TABLE_V6: readonly number[] = [1220, 1420, 1440, 8940];

function mssTable(tuple: CookieTuple): readonly number[] {
  return typeof tuple.localAddress === 'number' ? SYN_COOKIE_MSS_TABLE : SYN_COOKIE_MSS_TABLE_V6;
}

/** The low 24 bits carry hash + MSS index; the top 8 the minute counter (COOKIEBITS). */
export const COOKIE_BITS = 24;
const COOKIE_MASK = (1 << COOKIE_BITS) - 1;

/** TCP_SYNCOOKIE_PERIOD: the counter ticks once a minute (60 * HZ jiffies). */
export const SYN_COOKIE_PERIOD_MS = 60_000;

/** MAX_SYNCOOKIE_AGE: a cookie is accepted while the counter has moved by less than 2, i.e. for
 *  at most two minutes (and at least one) after its SYN-ACK. */
export const MAX_SYN_COOKIE_AGE = 2;

/** tcp_cookie_time(): the minute counter at `now` (Linux counts jiffies since boot; tcplab counts
 *  the stack clock's milliseconds, which plays the same role). */
export function synCookieTime(now: number): number {
  return Math.floor(now / SYN_COOKIE_PERIOD_MS) >>> 0;
}

/** The connection as the listener sees the SYN: remote = the SYN's source. */
export interface CookieTuple {
  readonly localAddress: IpAddress;
  readonly localPort: number;
  readonly remoteAddress: IpAddress;
  readonly remotePort: number;
}

export class SynCookies {
  private readonly keys: readonly [SipHashKey, SipHashKey];

  /** `secret`: 32 bytes, the two SipHash keys (Linux's syncookie_secret[2]); random by default. */
  constructor(secret: Uint8Array = randomBytes(2 * SIPHASH_KEY_BYTES)) {
    if (secret.length !== 2 * SIPHASH_KEY_BYTES) throw new RangeError(`the SYN cookie secret is 32 bytes, got ${secret.length}`);
    this.keys = [sipHashKey(secret.subarray(0, SIPHASH_KEY_BYTES)), sipHashKey(secret.subarray(SIPHASH_KEY_BYTES))];
  }

  /**
   * __cookie_v4_init_sequence / __cookie_v6_init_sequence: the ISN of the SYN-ACK answering a
   * SYN with sequence number `synSeq` that offered `mss`, and the MSS the connection will use,
   * the largest table value not above it (the smallest for anything smaller).
   */
  initSequence(tuple: CookieTuple, synSeq: number, mss: number, now: number): { iss: number; mss: number } {
    const table = mssTable(tuple);
    let mssIndex = table.length - 1;
    while (mssIndex > 0 && mss < table[mssIndex]) mssIndex--;
    const count = synCookieTime(now);
    const iss =
      (this.hash(tuple, 0, 0) + synSeq + ((count << COOKIE_BITS) >>> 0) + ((this.hash(tuple, count, 1) + mssIndex) & COOKIE_MASK)) >>> 0;
    return { iss, mss: table[mssIndex] };
  }

  /**
   * __cookie_v4_check: the MSS encoded in the cookie that the final ACK (SEG.ACK = cookie + 1,
   * SEG.SEQ = SYN.SEQ + 1) returns, or 0 when it is not a cookie of ours or is too old
   * (check_tcp_syn_cookie: the counter may have moved by at most MAX_SYN_COOKIE_AGE − 1).
   */
  check(tuple: CookieTuple, segAck: number, segSeq: number, now: number): number {
    const cookie = (segAck - 1) >>> 0;
    const synSeq = (segSeq - 1) >>> 0;
    const count = synCookieTime(now);
    // Strip H0 and the client's sequence number: what is left is (count << 24) + (H1 + data).
    const rest = (cookie - this.hash(tuple, 0, 0) - synSeq) >>> 0;
    const age = (count - (rest >>> COOKIE_BITS)) & (0xffffffff >>> COOKIE_BITS);
    if (age >= MAX_SYN_COOKIE_AGE) return 0;
    const mssIndex = (rest - this.hash(tuple, (count - age) >>> 0, 1)) & COOKIE_MASK;
    const table = mssTable(tuple);
    return mssIndex < table.length ? table[mssIndex] : 0;
  }

  /**
   * cookie_hash(saddr, daddr, sport, dport, count, c), with saddr/sport the SYN's source. IPv4:
   * siphash_4u32(saddr, daddr, sport << 16 | dport, count), laid out as a little-endian kernel
   * does; IPv6: the struct { saddr, daddr, count, sport, dport }.
   */
  private hash(tuple: CookieTuple, count: number, which: 0 | 1): number {
    let n = putAddress(tupleScratch, 0, tuple.remoteAddress);
    n = putAddress(tupleScratch, n, tuple.localAddress);
    if (typeof tuple.remoteAddress === 'number') {
      n = putPort(tupleScratch, n, tuple.localPort);
      n = putPort(tupleScratch, n, tuple.remotePort);
      n = putU32Le(tupleScratch, n, count);
    } else {
      n = putU32Le(tupleScratch, n, count);
      n = putPort(tupleScratch, n, tuple.remotePort);
      n = putPort(tupleScratch, n, tuple.localPort);
    }
    return sipHash24(this.keys[which], tupleScratch, n);
  }
}

// ---------------------------------------------------------------------------------------------
// Options in the timestamp: | 31 .. 6 timestamp | 5 ECN | 4 SACK | 3..0 window scale |

const TS_OPT_WSCALE_MASK = 0xf;
const TS_OPT_SACK = 1 << 4;
const TS_OPT_ECN = 1 << 5;
const TS_BITS = 6;

/** What the SYN negotiated, to be remembered through the timestamp. */
export interface CookieOptions {
  /** The window scale the SYN offered (0..14), or undefined when it had no WScale option. */
  readonly wscale: number | undefined;
  readonly sackOk: boolean;
  readonly ecnOk: boolean;
}

/**
 * cookie_init_timestamp: the SYN-ACK's timestamp with the options in its low 6 bits, never
 * later than `tsNow` (later TSvals of the connection come from the clock and must not go
 * backwards). `tsNow` and the result are in the clock's own units, before the connection's
 * timestamp offset is added (Linux adds ts_off afterwards too).
 */
export function cookieInitTimestamp(tsNow: number, options: CookieOptions): number {
  let bits = options.wscale === undefined ? TS_OPT_WSCALE_MASK : options.wscale & TS_OPT_WSCALE_MASK;
  if (options.sackOk) bits |= TS_OPT_SACK;
  if (options.ecnOk) bits |= TS_OPT_ECN;
  const now = tsNow >>> 0;
  let ts = (((now >>> TS_BITS) << TS_BITS) | bits) >>> 0;
  if (ts > now) ts = (ts - (1 << TS_BITS)) >>> 0;
  return ts;
}

/**
 * cookie_timestamp_decode: the options back from the final ACK's TSecr, after the connection's
 * timestamp offset is subtracted. A window-scale field of 15 (invalid as a shift) means the SYN
 * offered none. The sysctl checks Linux makes here (tcp_sack, tcp_window_scaling off) belong to
 * the caller.
 */
export function cookieTimestampDecode(tsEcr: number): CookieOptions {
  const wscale = tsEcr & TS_OPT_WSCALE_MASK;
  return {
    wscale: wscale === TS_OPT_WSCALE_MASK ? undefined : wscale,
    sackOk: (tsEcr & TS_OPT_SACK) !== 0,
    ecnOk: (tsEcr & TS_OPT_ECN) !== 0,
  };
}
