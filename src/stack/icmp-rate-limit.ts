// How many ICMP errors tcplab may send (RFC 1812 §4.3.2.8, RFC 4443 §2.4(f): "an IPv6 node
// MUST limit the rate of ICMPv6 error messages it originates"), as Linux limits them: two token
// buckets. A host-wide one (icmp_global_allow: icmp_msgs_per_sec, at most icmp_msgs_burst
// saved; ICMPv6 draws on the same one) and one per destination (inet_peer_xrlim_allow: one
// message per icmp_ratelimit ms, a burst of six). Only the types in the ratemask are limited:
// errors, not echo replies; and never fragmentation needed (icmpv4_mask_allow, "Don't limit
// PMTU discovery") nor packet too big (absent from ICMPv6's default mask).
import { ipFamily, ipKey, type IpAddress } from '../wire/address.js';

export interface IcmpRateLimitOptions {
  /** net.ipv4.icmp_ratelimit, ms: one limited ICMP message per destination per this long. */
  icmpRatelimit?: number;
  /** net.ipv4.icmp_ratemask: bit n set limits ICMP type n. 6168 = destination unreachable,
   *  source quench, time exceeded, parameter problem. */
  icmpRatemask?: number;
  /** net.ipv4.icmp_msgs_per_sec and icmp_msgs_burst: the host-wide bucket (IPv4 and IPv6). */
  icmpMsgsPerSec?: number;
  icmpMsgsBurst?: number;
  /** net.ipv6.icmp.ratelimit, ms (100 since Linux 6.x; Linux divides it by 4 for a destination
   *  behind a /64 route, `tmo >>= (128 - plen) >> 5`: tcplab has no routes and does not). */
  icmpv6Ratelimit?: number;
  /** net.ipv6.icmp.ratemask, in the sysctl's own syntax: "0-1,3-127" (every error type but
   *  Packet Too Big). */
  icmpv6Ratemask?: string;
}

export const ICMP_RATE_LIMIT_DEFAULTS = {
  icmpRatelimit: 1000,
  icmpRatemask: 6168,
  icmpMsgsPerSec: 1000,
  icmpMsgsBurst: 50,
  icmpv6Ratelimit: 100,
  icmpv6Ratemask: '0-1,3-127',
} as const;

/** 'send', or which bucket was empty (Linux ICMP_MIB_RATELIMITGLOBAL / RATELIMITHOST). */
export type IcmpRateVerdict = 'send' | 'global' | 'host';

/** Linux XRLIM_BURST_FACTOR: a destination saves up to six messages' worth of tokens. */
const XRLIM_BURST_FACTOR = 6;
/** icmp_global_allow refills at most once per HZ/50 and counts at most one second. */
const GLOBAL_MIN_DELTA = 20;
const GLOBAL_MAX_DELTA = 1000;
/** Linux NR_ICMP_TYPES (18) and ICMPV6_MSG_MAX (255): types above are never limited. */
const NR_ICMP_TYPES = 18;
const ICMPV6_MSG_MAX = 255;
const ICMP_DEST_UNREACH = 3;
const ICMP_FRAG_NEEDED = 4;
/** Destinations remembered at most (Linux inet_peer_threshold is 65536 + 128). */
const MAX_PEERS = 65_536;

interface Peer {
  tokens: number;
  last: number;
}

export class IcmpRateLimiter {
  private readonly cfg: Required<IcmpRateLimitOptions>;
  private readonly v6Mask: Set<number>;
  private credit = 0;
  private stamp = Number.NEGATIVE_INFINITY;
  private readonly peers = new Map<number | string, Peer>();

  constructor(options: IcmpRateLimitOptions = {}) {
    this.cfg = { ...ICMP_RATE_LIMIT_DEFAULTS, ...stripUndefined(options) };
    this.v6Mask = parseRatemask(this.cfg.icmpv6Ratemask);
  }

  /**
   * May an ICMP message of `type`/`code` go to `dst` at `now`? Linux icmp_send / icmp6_send:
   * icmpv4_global_allow first, then icmpv4_xrlim_allow, which takes a host-wide credit only
   * when the destination's bucket let the message through (icmp_global_consume).
   */
  allow(dst: IpAddress, type: number, code: number, now: number): IcmpRateVerdict {
    const v6 = ipFamily(dst) === 6;
    if (!(v6 ? this.v6Limited(type) : this.v4Limited(type, code))) return 'send';
    if (!this.globalAllow(now)) return 'global';
    const timeout = v6 ? this.cfg.icmpv6Ratelimit : this.cfg.icmpRatelimit;
    if (!this.peerAllow(dst, timeout, now)) return 'host';
    // Linux ≥ 6.11 takes a random 0, 1 or 2 credits (mean 1) so the count cannot serve as a
    // side channel (CVE-2020-25705); tcplab takes exactly 1, so experiments repeat.
    this.credit -= 1;
    return 'send';
  }

  /** Destinations with a bucket. */
  get trackedPeers(): number {
    return this.peers.size;
  }

  /** icmpv4_mask_allow, negated. */
  private v4Limited(type: number, code: number): boolean {
    if (type > NR_ICMP_TYPES) return false;
    if (type === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED) return false;
    return (this.cfg.icmpRatemask & (1 << type)) !== 0;
  }

  /** icmpv6_mask_allow, negated. */
  private v6Limited(type: number): boolean {
    return type <= ICMPV6_MSG_MAX && this.v6Mask.has(type);
  }

  /** Linux icmp_global_allow (6.11+): any credit left, or a refill after 20 ms. */
  private globalAllow(now: number): boolean {
    if (this.credit > 0) return true;
    const delta = Math.min(now - this.stamp, GLOBAL_MAX_DELTA);
    if (delta < GLOBAL_MIN_DELTA) return false;
    const incr = Math.floor((this.cfg.icmpMsgsPerSec * delta) / 1000);
    if (incr <= 0) return false;
    this.stamp = now;
    this.credit = Math.min(this.credit + incr, this.cfg.icmpMsgsBurst);
    return true;
  }

  /** Linux inet_peer_xrlim_allow: tokens are milliseconds of credit, one message costs
   *  `timeout`; a new destination starts full ("rate_last = jiffies - 60*HZ"). */
  private peerAllow(dst: IpAddress, timeout: number, now: number): boolean {
    const key = ipKey(dst);
    let peer = this.peers.get(key);
    if (peer === undefined) {
      if (this.peers.size >= MAX_PEERS) this.evict();
      peer = { tokens: 0, last: now - 60_000 };
    } else {
      this.peers.delete(key); // re-inserted below: the Map's order is least recently used first
    }
    let token = peer.tokens + (now - peer.last);
    peer.last = now;
    if (token > XRLIM_BURST_FACTOR * timeout) token = XRLIM_BURST_FACTOR * timeout;
    let ok = false;
    if (token >= timeout) {
      token -= timeout;
      ok = true;
    }
    peer.tokens = token;
    this.peers.set(key, peer);
    return ok;
  }

  /** Forget the least recently used eighth of the destinations at once (so a flood from
   *  spoofed sources costs O(1) per packet); one forgotten starts full again, as Linux's
   *  inet_peer_gc makes it. */
  private evict(): void {
    const target = MAX_PEERS - MAX_PEERS / 8;
    for (const key of this.peers.keys()) {
      if (this.peers.size <= target) break;
      this.peers.delete(key);
    }
  }
}

/** "0-1,3-127" → {0, 1, 3, 4, ..., 127} (Linux proc_do_large_bitmap's syntax). */
export function parseRatemask(text: string): Set<number> {
  const types = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)(?:\s*-\s*(\d+))?\s*$/.exec(part);
    if (m === null) {
      if (part.trim() === '') continue;
      throw Object.assign(new RangeError(`icmpv6Ratemask "${text}": expected ranges of ICMPv6 types like "0-1,3-127"`), { code: 'ERR_INVALID_ARG_VALUE' });
    }
    const low = Number(m[1]);
    const high = m[2] === undefined ? low : Number(m[2]);
    for (let t = low; t <= Math.min(high, ICMPV6_MSG_MAX); t++) types.add(t);
  }
  return types;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
