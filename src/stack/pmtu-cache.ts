// The host's path MTU per destination (RFC 1191 §5, RFC 8201 §5.2): what ICMP "fragmentation
// needed" and "packet too big" taught it, kept for mtu_expires and used by every connection to
// that destination, new ones included. Linux keeps it in the route's exception entries
// (fib_nh_exception for IPv4, RTF_CACHE clones for IPv6); tcplab has one link and no routing
// table, so the link's MTU stands in for the route's.
import { ipFamily, ipKey, type IpAddress } from '../wire/address.js';

export interface PmtuCacheOptions {
  /** net.ipv4.route.min_pmtu: an IPv4 report below it is raised to it (and the route locked). */
  minPmtu?: number;
  /** net.ipv4.route.mtu_expires / net.ipv6.route.mtu_expires, ms: how long a learned path MTU
   *  lasts before the link's MTU is tried again (RFC 1191 §6.3 "ten minutes"). */
  mtuExpires?: number;
}

/** Linux's defaults: min_pmtu 552 (512 + 40), mtu_expires 600 s. */
export const DEFAULT_MIN_PMTU = 552;
export const DEFAULT_MTU_EXPIRES = 600_000;
/** RFC 8200 §5: IPv6 links carry at least 1280 octets. */
const IPV6_MIN_MTU = 1280;
/** Past this many entries, an insertion first sweeps the expired ones. */
const SWEEP_AT = 4096;

interface Entry {
  readonly mtu: number;
  readonly expiresAt: number;
  /** Linux fnhe_mtu_locked: the MTU was clamped to min_pmtu; later reports are ignored until
   *  it expires (and Linux stops setting DF, which tcplab does not do). */
  readonly locked: boolean;
}

export class PmtuCache {
  private readonly entries = new Map<number | string, Entry>();
  readonly minPmtu: number;
  readonly mtuExpires: number;

  constructor(
    private readonly linkMtu: number,
    options: PmtuCacheOptions = {},
  ) {
    this.minPmtu = options.minPmtu ?? DEFAULT_MIN_PMTU;
    this.mtuExpires = options.mtuExpires ?? DEFAULT_MTU_EXPIRES;
  }

  /** The path MTU toward `dst` at `now`: the learned one while it lasts, else the link's. */
  mtu(dst: IpAddress, now: number): number {
    return this.live(dst, now)?.mtu ?? this.linkMtu;
  }

  /** A learned path MTU toward `dst`, or undefined (expired or never learned). */
  learned(dst: IpAddress, now: number): number | undefined {
    return this.live(dst, now)?.mtu;
  }

  /** What the route's MTU toward `dst` becomes if a report of `mtu` is accepted; nothing
   *  changes (the connection checks the report first, RFC 5927 §4.1). */
  proposed(dst: IpAddress, mtu: number, now: number): number {
    return this.apply(dst, mtu, now, false);
  }

  /** Take an accepted report; returns the route's MTU afterwards. */
  update(dst: IpAddress, mtu: number, now: number): number {
    return this.apply(dst, mtu, now, true);
  }

  /** Entries held, expired ones included until next looked at. */
  get size(): number {
    return this.entries.size;
  }

  /** Drop expired entries (entries are only read lazily). */
  private sweep(now: number): void {
    for (const [key, entry] of this.entries) if (now >= entry.expiresAt) this.entries.delete(key);
  }

  private live(dst: IpAddress, now: number): Entry | undefined {
    const key = ipKey(dst);
    const entry = this.entries.get(key);
    if (entry !== undefined && now >= entry.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private apply(dst: IpAddress, reported: number, now: number, commit: boolean): number {
    const entry = this.live(dst, now);
    const old = entry?.mtu ?? this.linkMtu;
    let mtu = reported;
    let locked = false;
    if (ipFamily(dst) === 6) {
      // __ip6_rt_update_pmtu: "if (mtu < IPV6_MIN_MTU) return; if (mtu >= dst_mtu(dst))
      // return;" (RFC 8201 §4: never below 1280; a report cannot raise the path MTU).
      if (mtu < IPV6_MIN_MTU || mtu >= old) return old;
    } else {
      // __ip_rt_update_pmtu: "if (ip_mtu_locked(dst)) return; if (old_mtu < mtu) return;"
      if (entry?.locked === true || old < mtu) return old;
      // "if (mtu < net->ipv4.ip_rt_min_pmtu) { lock = true; mtu = min(old_mtu, min_pmtu); }":
      // RFC 1191 §5's plateau guess for a Next-Hop MTU of 0 ends here too.
      if (mtu < this.minPmtu) {
        locked = true;
        mtu = Math.min(old, this.minPmtu);
      }
      // The same MTU again only refreshes an entry in the second half of its life.
      if (entry !== undefined && entry.mtu === mtu && !locked && now < entry.expiresAt - this.mtuExpires / 2) return old;
    }
    if (commit) {
      if (this.entries.size >= SWEEP_AT) this.sweep(now);
      this.entries.set(ipKey(dst), { mtu, expiresAt: now + this.mtuExpires, locked });
    }
    return mtu;
  }
}
