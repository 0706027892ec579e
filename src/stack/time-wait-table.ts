// The TIME-WAIT table: what is left of a connection that closed first (RFC 9293 §3.6, "TIME-WAIT
// ... wait for enough time to pass to be sure the remote TCP received the acknowledgment of its
// connection termination request"), kept as Linux's tcp_timewait_sock keeps it — a few numbers,
// not the connection — so that a host can hold a million of them (seeds 002 and 004).
//
// Layout: struct of arrays over typed arrays, one slot per entry (IPv6 addresses as 4 × uint32,
// IPv4 in the last word), found by 4-tuple through an open-addressing index (linear probing with
// backward-shift deletion, no tombstones) keyed by a seeded hash (as Linux's inet_ehashfn seeds
// jhash, so that remote peers cannot aim their 4-tuples at one chain).
//
// Expiry: every entry lives `timeWaitLength` (2 × MSL, Linux TCP_TIMEWAIT_LEN = 60 s) from its
// insertion or last restart, so the entries ordered by insertion/restart time are also ordered by
// expiry: a doubly-linked list threaded through the slots, appended at the tail and popped at the
// head, is an exact expiry queue with O(1) insert, restart and remove, and no timer wheel entry
// per connection. (An insert or restart with another length, or a `now` earlier than the last
// one, walks back from the tail to its place, still exact.) The stack keeps one entry in its
// timer wheel, at `nextExpiry()`.
import { randomBytes } from 'node:crypto';
import { ipv4AddressFromBytes, type IpAddress } from '../wire/address.js';

export interface TimeWaitTableOptions {
  /** TCP_TIMEWAIT_LEN: how long an entry lasts, 2 × msl; default 60 000 ms. */
  readonly timeWaitLength?: number;
  /**
   * net.ipv4.tcp_max_tw_buckets: beyond it a closing connection gets no TIME-WAIT (Linux logs
   * "time wait bucket table overflow" and counts TCPTimeWaitOverflow). Linux sets it to half its
   * established hash (tcp_sk_init); the stack passes its own default; here: unlimited.
   */
  readonly tcpMaxTwBuckets?: number;
  /** Slots to allocate up front (grows by half when full). */
  readonly initialCapacity?: number;
  /** The index hash's seed; random by default. */
  readonly seed?: number;
}

/** What a connection hands over when it enters TIME-WAIT (Linux tcp_time_wait). */
export interface TimeWaitEntry {
  readonly localAddress: IpAddress;
  readonly localPort: number;
  readonly remoteAddress: IpAddress;
  readonly remotePort: number;
  /** SND.NXT (after our FIN): the ACKs we send carry it; a reopened connection's ISN derives from it. */
  readonly sndNxt: number;
  /** RCV.NXT (after their FIN): what we acknowledge; a new SYN must be beyond it. */
  readonly rcvNxt: number;
  /** The receive window in bytes, advertised (scaled down by `rcvWscale`) in our ACKs. */
  readonly rcvWnd: number;
  readonly rcvWscale: number;
  /** TS.Recent when timestamps are in use; undefined when they are not. */
  readonly tsRecent?: number;
  /** When TS.Recent was last updated (ms; Linux ts_recent_stamp, in seconds there). */
  readonly tsRecentStamp?: number;
  /** The connection's timestamp offset (RFC 7323 §5.4), added to the clock in our TSvals. */
  readonly tsOffset?: number;
  /** The socket had SO_REUSEADDR (the bind table needs it when the entry ends). */
  readonly reuseAddress?: boolean;
}

/** One entry as `ss` shows it. */
export interface TimeWaitInfo {
  readonly localAddress: IpAddress;
  readonly localPort: number;
  readonly remoteAddress: IpAddress;
  readonly remotePort: number;
  /** ms until it expires. */
  readonly remaining: number;
}

const FLAG_LIVE = 1;
const FLAG_V6 = 2;
const FLAG_TIMESTAMPS = 4;
const FLAG_REUSEADDR = 8;

const NIL = -1;
/** Words per slot in `keys`: 8 address words, the ports, the hash. */
const KEY_WORDS = 10;
const HASH_WORD = 9;

function mixWord(h: number, w: number): number {
  // MurmurHash3's block step (32-bit).
  w = Math.imul(w, 0xcc9e2d51);
  w = (w << 15) | (w >>> 17);
  w = Math.imul(w, 0x1b873593);
  h ^= w;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finalMix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class TimeWaitTable {
  readonly timeWaitLength: number;
  readonly tcpMaxTwBuckets: number;
  private readonly seed: number;

  private capacity = 0;
  /** Slots ever handed out; slots below it are live or on the free list. */
  private used = 0;
  private live = 0;
  private freeHead = NIL;
  /** The expiry queue: oldest (first to expire) at the head. */
  private head = NIL;
  private tail = NIL;

  // Struct of arrays, indexed by slot.
  /**
   * The lookup key, KEY_WORDS per slot so that comparing a 4-tuple touches one place: local
   * address (4 words), remote address (4), network order, IPv4 in words 3 and 7; then
   * localPort << 16 | remotePort; then the hash, whose low bit is the family (1 = IPv6).
   */
  private keys = new Uint32Array(0);
  private sndNxts = new Uint32Array(0);
  private rcvNxts = new Uint32Array(0);
  private rcvWnds = new Uint32Array(0);
  private tsRecents = new Uint32Array(0);
  private tsOffsets = new Uint32Array(0);
  private rcvWscales = new Uint8Array(0);
  private flags = new Uint8Array(0);
  private expiries = new Float64Array(0);
  private tsRecentStamps = new Float64Array(0);
  private entryStamps = new Float64Array(0);
  private lastOowAcks = new Float64Array(0);
  /** Each entry's 2MSL (its connection's msl may differ from another's): restarts reuse it. */
  private durations = new Uint32Array(0);
  /** Bumped whenever a slot's entry ends, so a holder of (slot, generation) can tell whether
   *  its entry is still the one there (the stack's endpoints ask: is my TIME-WAIT over?). */
  private generations = new Uint32Array(0);
  /** Expiry-queue links; `nexts` also chains the free list. */
  private prevs = new Int32Array(0);
  private nexts = new Int32Array(0);

  /** Open-addressing index: slot + 1, 0 = empty; a power of two at least twice the capacity. */
  private index = new Int32Array(0);
  private indexMask = 0;

  /** The 4-tuple being looked up, as 8 address words + ports (no allocation per lookup). */
  private readonly key = new Uint32Array(9);
  private keyIsV6 = false;

  constructor(options: TimeWaitTableOptions = {}) {
    this.timeWaitLength = options.timeWaitLength ?? 60_000;
    this.tcpMaxTwBuckets = options.tcpMaxTwBuckets ?? Infinity;
    this.seed = (options.seed ?? randomBytes(4).readUInt32LE(0)) | 0;
    this.grow(Math.max(16, options.initialCapacity ?? 1024));
  }

  /** Entries in TIME-WAIT. */
  get count(): number {
    return this.live;
  }

  /**
   * Memory per live entry: every typed array (slots and index) over the live count, as
   * allocated now (capacity included), so the figure shows what growth costs too.
   */
  bytesPerEntry(): number {
    const bytes =
      this.keys.byteLength + this.sndNxts.byteLength + this.rcvNxts.byteLength +
      this.rcvWnds.byteLength + this.tsRecents.byteLength + this.tsOffsets.byteLength + this.rcvWscales.byteLength +
      this.flags.byteLength + this.expiries.byteLength + this.tsRecentStamps.byteLength + this.entryStamps.byteLength +
      this.lastOowAcks.byteLength + this.durations.byteLength + this.generations.byteLength + this.prevs.byteLength + this.nexts.byteLength + this.index.byteLength;
    return bytes / Math.max(1, this.live);
  }

  /**
   * A connection enters TIME-WAIT at `now` for `duration` (default `timeWaitLength`). Returns its
   * slot, or −1 when tcp_max_tw_buckets is reached (the caller then closes the connection
   * without TIME-WAIT, as Linux does). An entry already there for the 4-tuple is replaced.
   */
  insert(entry: TimeWaitEntry, now: number, duration = this.timeWaitLength): number {
    this.loadKey(entry.localAddress, entry.localPort, entry.remoteAddress, entry.remotePort);
    const existing = this.find();
    if (existing !== NIL) this.remove(existing);
    if (this.live >= this.tcpMaxTwBuckets) return NIL;
    const slot = this.allocate();
    const row = slot * KEY_WORDS;
    for (let w = 0; w < 9; w++) this.keys[row + w] = this.key[w];
    this.keys[row + HASH_WORD] = this.hashKey();
    this.sndNxts[slot] = entry.sndNxt;
    this.rcvNxts[slot] = entry.rcvNxt;
    this.rcvWnds[slot] = entry.rcvWnd;
    this.rcvWscales[slot] = entry.rcvWscale;
    this.tsRecents[slot] = entry.tsRecent ?? 0;
    this.tsRecentStamps[slot] = entry.tsRecentStamp ?? now;
    this.tsOffsets[slot] = entry.tsOffset ?? 0;
    this.entryStamps[slot] = now;
    this.lastOowAcks[slot] = -Infinity;
    this.flags[slot] =
      FLAG_LIVE | (typeof entry.localAddress === 'number' ? 0 : FLAG_V6) | (entry.tsRecent !== undefined ? FLAG_TIMESTAMPS : 0) | (entry.reuseAddress ? FLAG_REUSEADDR : 0);
    this.durations[slot] = duration;
    this.expiries[slot] = now + duration;
    this.enqueue(slot);
    this.indexInsert(slot);
    this.live++;
    return slot;
  }

  /** The slot in TIME-WAIT for this 4-tuple, or −1. O(1), allocation-free. */
  lookup(localAddress: IpAddress, localPort: number, remoteAddress: IpAddress, remotePort: number): number {
    this.loadKey(localAddress, localPort, remoteAddress, remotePort);
    return this.find();
  }

  /** Ends an entry (killed by RST, taken over by a new connection, or expired). */
  remove(slot: number): void {
    if (!this.isLive(slot)) return;
    this.indexRemove(slot);
    this.dequeue(slot);
    this.flags[slot] = 0;
    this.generations[slot]++;
    this.nexts[slot] = this.freeHead;
    this.freeHead = slot;
    this.live--;
  }

  /** Restarts the 2MSL wait from `now` (RFC 9293 §3.10.7.4: "restart the 2 MSL timeout"), for
   *  the entry's own length unless another is given. */
  restart(slot: number, now: number, duration = this.durations[slot]): void {
    if (!this.isLive(slot)) return;
    this.dequeue(slot);
    this.expiries[slot] = now + duration;
    this.enqueue(slot);
  }

  /** The earliest expiry, for the stack's single timer; undefined when empty. */
  nextExpiry(): number | undefined {
    return this.head === NIL ? undefined : this.expiries[this.head];
  }

  /**
   * Removes every entry whose time is up (expiry ≤ now), oldest first, calling `onExpire(slot)`
   * before each goes so that the caller can read it (e.g. to release its port). Returns how many.
   */
  expire(now: number, onExpire?: (slot: number) => void): number {
    let n = 0;
    while (this.head !== NIL && this.expiries[this.head] <= now) {
      const slot = this.head;
      onExpire?.(slot);
      this.remove(slot);
      n++;
    }
    return n;
  }

  /** Every live slot, in expiry order. The visitor must not insert or remove. */
  forEach(visit: (slot: number) => void): void {
    for (let s = this.head; s !== NIL; s = this.nexts[s]) visit(s);
  }

  /** Each entry's 4-tuple and remaining time, for `ss -o` ("timer:(timewait,45sec,0)"). */
  *entries(now: number): IterableIterator<TimeWaitInfo> {
    for (let s = this.head; s !== NIL; s = this.nexts[s]) {
      yield {
        localAddress: this.localAddress(s),
        localPort: this.localPort(s),
        remoteAddress: this.remoteAddress(s),
        remotePort: this.remotePort(s),
        remaining: Math.max(0, this.expiries[s] - now),
      };
    }
  }

  // ------------------------------------------------------------------------------------------
  // Reading and updating one entry

  isLive(slot: number): boolean {
    return slot >= 0 && slot < this.used && (this.flags[slot] & FLAG_LIVE) !== 0;
  }
  isIpv6(slot: number): boolean {
    return (this.flags[slot] & FLAG_V6) !== 0;
  }
  localAddress(slot: number): IpAddress {
    return this.address(slot * KEY_WORDS, this.isIpv6(slot));
  }
  remoteAddress(slot: number): IpAddress {
    return this.address(slot * KEY_WORDS + 4, this.isIpv6(slot));
  }
  localPort(slot: number): number {
    return this.keys[slot * KEY_WORDS + 8] >>> 16;
  }
  remotePort(slot: number): number {
    return this.keys[slot * KEY_WORDS + 8] & 0xffff;
  }
  sndNxt(slot: number): number {
    return this.sndNxts[slot];
  }
  rcvNxt(slot: number): number {
    return this.rcvNxts[slot];
  }
  rcvWnd(slot: number): number {
    return this.rcvWnds[slot];
  }
  rcvWscale(slot: number): number {
    return this.rcvWscales[slot];
  }
  /** Whether the connection used timestamps (Linux: tw_ts_recent_stamp ≠ 0). */
  hasTimestamps(slot: number): boolean {
    return (this.flags[slot] & FLAG_TIMESTAMPS) !== 0;
  }
  tsRecent(slot: number): number | undefined {
    return this.hasTimestamps(slot) ? this.tsRecents[slot] : undefined;
  }
  tsRecentStamp(slot: number): number {
    return this.tsRecentStamps[slot];
  }
  tsOffset(slot: number): number {
    return this.tsOffsets[slot];
  }
  reuseAddress(slot: number): boolean {
    return (this.flags[slot] & FLAG_REUSEADDR) !== 0;
  }
  expiresAt(slot: number): number {
    return this.expiries[slot];
  }
  /** The entry's 2MSL, as inserted. */
  duration(slot: number): number {
    return this.durations[slot];
  }
  /** Changes each time the slot's entry ends: (slot, generation) names one entry for good. */
  generation(slot: number): number {
    return this.generations[slot];
  }
  /** Whether the entry named by (slot, generation) is still in TIME-WAIT. */
  holds(slot: number, generation: number): boolean {
    return this.isLive(slot) && this.generations[slot] === generation;
  }
  /** When the entry was created (Linux tw_entry_stamp): tcp_tw_reuse waits 1 s from it. */
  entryStamp(slot: number): number {
    return this.entryStamps[slot];
  }
  /** When we last answered an out-of-window segment (tcp_invalid_ratelimit). */
  lastOutOfWindowAck(slot: number): number {
    return this.lastOowAcks[slot];
  }

  /** RFC 7323 §4.3: an acceptable segment's TSval becomes TS.Recent. */
  updateTsRecent(slot: number, tsVal: number, now: number): void {
    this.tsRecents[slot] = tsVal >>> 0;
    this.tsRecentStamps[slot] = now;
  }

  setLastOutOfWindowAck(slot: number, now: number): void {
    this.lastOowAcks[slot] = now;
  }

  // ------------------------------------------------------------------------------------------

  private address(word: number, v6: boolean): IpAddress {
    if (!v6) return this.keys[word + 3];
    const out = new Uint8Array(16);
    for (let w = 0; w < 4; w++) {
      const x = this.keys[word + w];
      out[4 * w] = x >>> 24;
      out[4 * w + 1] = x >>> 16;
      out[4 * w + 2] = x >>> 8;
      out[4 * w + 3] = x;
    }
    return out;
  }

  private loadKey(localAddress: IpAddress, localPort: number, remoteAddress: IpAddress, remotePort: number): void {
    const k = this.key;
    this.keyIsV6 = typeof localAddress !== 'number';
    storeAddress(k, 0, localAddress);
    storeAddress(k, 4, remoteAddress);
    k[8] = ((localPort << 16) | remotePort) >>> 0;
  }

  /** The seeded hash of the key, its low bit replaced by the family: IPv4 a.b.c.d and the
   *  IPv4-compatible IPv6 ::a.b.c.d share their words, and the hash word tells them apart. */
  private hashKey(): number {
    const k = this.key;
    let h = this.seed;
    for (let w = 0; w < 9; w++) h = mixWord(h, k[w]);
    return ((finalMix(h) & ~1) | (this.keyIsV6 ? 1 : 0)) >>> 0;
  }

  /** Whether the slot holds the key whose hash is `h`. */
  private sameKey(slot: number, h: number): boolean {
    const k = this.key;
    const row = slot * KEY_WORDS;
    const keys = this.keys;
    if (keys[row + HASH_WORD] !== h || keys[row + 8] !== k[8]) return false;
    for (let w = 7; w >= 0; w--) if (keys[row + w] !== k[w]) return false;
    return true;
  }

  private find(): number {
    const h = this.hashKey();
    const mask = this.indexMask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = this.index[i];
      if (v === 0) return NIL;
      const slot = v - 1;
      if (this.sameKey(slot, h)) return slot;
    }
  }

  private indexInsert(slot: number): void {
    const mask = this.indexMask;
    let i = this.keys[slot * KEY_WORDS + HASH_WORD] & mask;
    while (this.index[i] !== 0) i = (i + 1) & mask;
    this.index[i] = slot + 1;
  }

  /** Linear probing's deletion without tombstones: pull later entries of the run back. */
  private indexRemove(slot: number): void {
    const mask = this.indexMask;
    let i = this.keys[slot * KEY_WORDS + HASH_WORD] & mask;
    while (this.index[i] !== slot + 1) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const v = this.index[j];
      if (v === 0) break;
      const home = this.keys[(v - 1) * KEY_WORDS + HASH_WORD] & mask;
      // Move j's entry into the hole at i unless its home lies cyclically in (i, j].
      const homeInRange = i <= j ? i < home && home <= j : i < home || home <= j;
      if (!homeInRange) {
        this.index[i] = v;
        i = j;
      }
    }
    this.index[i] = 0;
  }

  private enqueue(slot: number): void {
    // Walk back from the tail past entries that expire later (none, when every entry lasts
    // timeWaitLength and time does not go backwards).
    const expiry = this.expiries[slot];
    let after = this.tail;
    while (after !== NIL && this.expiries[after] > expiry) after = this.prevs[after];
    const before = after === NIL ? this.head : this.nexts[after];
    this.prevs[slot] = after;
    this.nexts[slot] = before;
    if (after === NIL) this.head = slot;
    else this.nexts[after] = slot;
    if (before === NIL) this.tail = slot;
    else this.prevs[before] = slot;
  }

  private dequeue(slot: number): void {
    const p = this.prevs[slot];
    const n = this.nexts[slot];
    if (p === NIL) this.head = n;
    else this.nexts[p] = n;
    if (n === NIL) this.tail = p;
    else this.prevs[n] = p;
    this.prevs[slot] = this.nexts[slot] = NIL;
  }

  private allocate(): number {
    if (this.freeHead !== NIL) {
      const slot = this.freeHead;
      this.freeHead = this.nexts[slot];
      return slot;
    }
    if (this.used === this.capacity) this.grow(Math.ceil(this.capacity * 1.5));
    return this.used++;
  }

  private grow(capacity: number): void {
    const copy = <A extends Uint8Array | Uint32Array | Int32Array | Float64Array>(old: A, make: (n: number) => A, per = 1): A => {
      const next = make(capacity * per);
      next.set(old);
      return next;
    };
    this.keys = copy(this.keys, (n) => new Uint32Array(n), KEY_WORDS);
    this.sndNxts = copy(this.sndNxts, (n) => new Uint32Array(n));
    this.rcvNxts = copy(this.rcvNxts, (n) => new Uint32Array(n));
    this.rcvWnds = copy(this.rcvWnds, (n) => new Uint32Array(n));
    this.tsRecents = copy(this.tsRecents, (n) => new Uint32Array(n));
    this.tsOffsets = copy(this.tsOffsets, (n) => new Uint32Array(n));
    this.rcvWscales = copy(this.rcvWscales, (n) => new Uint8Array(n));
    this.flags = copy(this.flags, (n) => new Uint8Array(n));
    this.expiries = copy(this.expiries, (n) => new Float64Array(n));
    this.tsRecentStamps = copy(this.tsRecentStamps, (n) => new Float64Array(n));
    this.entryStamps = copy(this.entryStamps, (n) => new Float64Array(n));
    this.lastOowAcks = copy(this.lastOowAcks, (n) => new Float64Array(n));
    this.durations = copy(this.durations, (n) => new Uint32Array(n));
    this.generations = copy(this.generations, (n) => new Uint32Array(n));
    this.prevs = copy(this.prevs, (n) => new Int32Array(n));
    this.nexts = copy(this.nexts, (n) => new Int32Array(n));
    this.capacity = capacity;
    // Keep the index at most half full.
    let size = 1;
    while (size < 2 * capacity) size *= 2;
    if (size > this.index.length) {
      this.index = new Int32Array(size);
      this.indexMask = size - 1;
      for (let s = 0; s < this.used; s++) if (this.flags[s] & FLAG_LIVE) this.indexInsert(s);
    }
  }
}

function storeAddress(out: Uint32Array, word: number, address: IpAddress): void {
  if (typeof address === 'number') {
    out[word] = out[word + 1] = out[word + 2] = 0;
    out[word + 3] = address;
    return;
  }
  for (let w = 0; w < 4; w++) out[word + w] = ipv4AddressFromBytes(address, 4 * w);
}
