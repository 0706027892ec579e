// Initial sequence numbers (RFC 6528) and per-connection timestamp offsets (RFC 7323 §5.4),
// as Linux's net/core/secure_seq.c computes them: SipHash-2-4 over the addresses and ports
// under secrets chosen when the stack is created.
import { randomBytes } from 'node:crypto';
import type { IpAddress } from '../wire/address.js';
import { SIPHASH_KEY_BYTES, sipHash24, sipHashKey, type SipHashKey } from './siphash.js';
import { putAddress, putFourTuple, tupleScratch } from './tuple-bytes.js';

export interface IsnSecrets {
  /** 16 bytes keying the ISN hash (Linux's net_secret); random when omitted. */
  readonly isnSecret?: Uint8Array;
  /** 16 bytes keying the timestamp-offset hash (Linux's ts_secret); random when omitted. */
  readonly tsSecret?: Uint8Array;
}

/** RFC 6528 §3: M "is a timer that is incremented every 4 microseconds": 250 ticks per ms. */
export const ISN_CLOCK_TICKS_PER_MS = 250;

export class InitialSequenceNumbers {
  private readonly isnKey: SipHashKey;
  private readonly tsKey: SipHashKey;

  constructor(secrets: IsnSecrets = {}) {
    this.isnKey = sipHashKey(secrets.isnSecret ?? randomBytes(SIPHASH_KEY_BYTES));
    this.tsKey = sipHashKey(secrets.tsSecret ?? randomBytes(SIPHASH_KEY_BYTES));
  }

  /**
   * RFC 6528 §3: "ISN = M + F(localip, localport, remoteip, remoteport, secretkey)". F is
   * SipHash-2-4 over the 4-tuple (Linux secure_tcp_seq / secure_tcpv6_seq, same byte layout);
   * M is the RFC's 4 µs clock from `now`. Linux departs from the RFC here, adding
   * ktime_get_real_ns() >> 6 (a 64 ns clock); tcplab keeps the RFC's 4 µs so that the ISN wraps
   * once every 4.77 hours, well beyond any MSL, and because `now` has millisecond precision.
   * The order is ours then theirs, for a SYN we send and a SYN we receive alike.
   */
  isn(localAddress: IpAddress, localPort: number, remoteAddress: IpAddress, remotePort: number, now: number): number {
    const n = putFourTuple(tupleScratch, localAddress, localPort, remoteAddress, remotePort);
    const f = sipHash24(this.isnKey, tupleScratch, n);
    return (f + isnClock(now)) >>> 0;
  }

  /**
   * RFC 7323 §5.4: "a random offset may be added to the timestamp clock on a per-connection
   * basis", so that TSval reveals neither uptime nor a clock shared across connections. Like
   * Linux's secure_tcp_ts_off it depends on the address pair only (not the ports), so that
   * consecutive connections between two hosts keep monotonic timestamps, which PAWS across
   * incarnations and tcp_tw_reuse rely on (RFC 6191 §2).
   */
  tsOffset(localAddress: IpAddress, remoteAddress: IpAddress): number {
    let n = putAddress(tupleScratch, 0, localAddress);
    n = putAddress(tupleScratch, n, remoteAddress);
    return sipHash24(this.tsKey, tupleScratch, n);
  }
}

/** M: the 4 µs clock at `now` ms, modulo 2^32. */
export function isnClock(now: number): number {
  return Math.floor(now * ISN_CLOCK_TICKS_PER_MS) % 4294967296 >>> 0;
}
