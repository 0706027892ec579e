// Ephemeral port selection: RFC 6056 §3.3.4 Algorithm 4 ("Double-Hash Port Selection") as
// Linux implements it for connect() (__inet_hash_connect, net/ipv4/inet_hashtables.c), and
// Linux's random choice for bind() to port 0 (inet_csk_find_open_port).
//
// RFC 6056 §3.3.4: "offset = F(local_IP, remote_IP, remote_port, secret_key1);
// index = G(local_IP, remote_IP, remote_port, secret_key2); count = num_ephemeral; do { port =
// min_ephemeral + (offset + table[index]) % num_ephemeral; ... if (check_suitable_port(port))
// goto found; ... } ... found: table[index]++". Linux takes F and G from one 64-bit SipHash
// (secure_ipv4_port_ephemeral: the high 32 bits are the offset, the low bits the index into a
// table of 2^16 random perturbations since 5.18), and walks the range in steps of 2.
//
// Parity (Linux ≥ 4.6, commit 07f4c90062f8 "tcp/dccp: try to not exhaust ip_local_port_range
// in connect()"): connect() first tries the ports of the same parity as the range's low end
// (even for the default 32768–60999), then the others; bind(0) does the opposite, so that
// servers binding port 0 rarely take the ports connect() wants. A quirk mirrored as is: with
// step 2 the walk covers `remaining` = the range size rounded down to even, so in an odd-sized
// range one port is never chosen by connect() (which one depends on the offset).
//
// Not mirrored: the per-socket IP_LOCAL_PORT_RANGE option (step 1, no parity), the newest
// kernels' ip_local_port_step_width (a random coprime stride), ip_autobind_reuse, and
// SO_REUSEPORT.
import { randomBytes, randomInt } from 'node:crypto';
import { formatIpAddress, type IpAddress } from '../wire/address.js';
import { SIPHASH_KEY_BYTES, sipHash24, sipHashHigh, sipHashKey, type SipHashKey } from './siphash.js';
import { putAddress, putPort, tupleScratch } from './tuple-bytes.js';

/** net.ipv4.ip_local_port_range default, inclusive. */
export const DEFAULT_IP_LOCAL_PORT_RANGE: readonly [number, number] = [32768, 60999];

/** INET_TABLE_PERTURB_SIZE (Linux 5.18+): 2^16 perturbations, so that the port sequence seen by
 *  one destination tells nothing about another (the "Device tracking via port selection" fix). */
export const TABLE_PERTURB_SIZE = 1 << 16;

export interface EphemeralPortOptions {
  /** net.ipv4.ip_local_port_range, inclusive; default 32768–60999. */
  readonly ipLocalPortRange?: readonly [number, number];
  /** net.ipv4.ip_local_reserved_ports: never chosen automatically. */
  readonly ipLocalReservedPorts?: ReadonlySet<number>;
  /** 16 bytes keying the port offset hash (Linux's net_secret); random by default. */
  readonly secret?: Uint8Array;
  /** A uniform integer in [0, bound); crypto.randomInt by default, fixed in tests. */
  readonly randomBelow?: (bound: number) => number;
}

/** What the caller knows about the sockets of the stack, asked port by port. */
export interface ConnectPortQuery {
  /**
   * The port is held through bind() or listen() (Linux: its bind bucket has fastreuse ≥ 0):
   * connect() never picks it, even toward another destination.
   */
  readonly isBound?: (port: number) => boolean;
  /** Some socket already uses (localAddress, port, remoteAddress, remotePort), TIME-WAIT included. */
  readonly isInUse: (port: number) => boolean;
  /**
   * For a 4-tuple in use: it is in TIME-WAIT and may be taken over (Linux tcp_twsk_unique under
   * tcp_tw_reuse: the caller decides, e.g. with `timeWaitReusable`). Default: never.
   */
  readonly mayReuseTimeWait?: (port: number) => boolean;
}

export type PortResult =
  | { readonly ok: true; readonly port: number; /** The 4-tuple was in TIME-WAIT: the caller ends that entry. */ readonly reusesTimeWait: boolean }
  | { readonly ok: false; readonly code: 'EADDRNOTAVAIL'; readonly message: string };

export class EphemeralPorts {
  readonly low: number;
  readonly high: number;
  private readonly reserved: ReadonlySet<number>;
  private readonly key: SipHashKey;
  private readonly randomBelow: (bound: number) => number;
  /** table_perturb: random at first use in Linux; here at creation. */
  private readonly perturb: Uint32Array;

  constructor(options: EphemeralPortOptions = {}) {
    const [low, high] = options.ipLocalPortRange ?? DEFAULT_IP_LOCAL_PORT_RANGE;
    if (!(Number.isInteger(low) && Number.isInteger(high) && low >= 1 && low <= high && high <= 65535)) {
      throw new RangeError(`ipLocalPortRange must be two ports low ≤ high in 1..65535, got ${low}-${high}`);
    }
    this.low = low;
    this.high = high;
    this.reserved = options.ipLocalReservedPorts ?? new Set();
    this.key = sipHashKey(options.secret ?? randomBytes(SIPHASH_KEY_BYTES));
    this.randomBelow = options.randomBelow ?? ((bound) => randomInt(bound));
    this.perturb = new Uint32Array(TABLE_PERTURB_SIZE);
    if (options.randomBelow) {
      for (let i = 0; i < TABLE_PERTURB_SIZE; i++) this.perturb[i] = options.randomBelow(4294967296);
    } else {
      const seed = randomBytes(4 * TABLE_PERTURB_SIZE);
      for (let i = 0; i < TABLE_PERTURB_SIZE; i++) this.perturb[i] = seed.readUInt32LE(4 * i);
    }
  }

  /**
   * A local port for connect() from `localAddress` to `remoteAddress`:`remotePort` (Linux
   * __inet_hash_connect). A port is suitable when it is not reserved, not held by bind(), and
   * its 4-tuple is unused or in a TIME-WAIT the caller lets us reuse; the same port may serve
   * many destinations. EADDRNOTAVAIL when no port is.
   */
  connectPort(localAddress: IpAddress, remoteAddress: IpAddress, remotePort: number, query: ConnectPortQuery): PortResult {
    const low = this.low;
    const high = this.high + 1; // [32768, 60999] -> [32768, 61000[
    let remaining = high - low;
    if (remaining > 1) remaining &= ~1;
    const offsetLow = this.portOffset(localAddress, remoteAddress, remotePort);
    const index = offsetLow & (TABLE_PERTURB_SIZE - 1);
    let offset = ((this.perturb[index] + sipHashHigh) >>> 0) % remaining;
    // First pass: the ports of the low end's parity.
    offset &= ~1;
    for (;;) {
      let port = low + offset;
      for (let i = 0; i < remaining; i += 2, port += 2) {
        if (port >= high) port -= remaining;
        if (this.reserved.has(port) || query.isBound?.(port)) continue;
        let reusesTimeWait = false;
        if (query.isInUse(port)) {
          if (!query.mayReuseTimeWait?.(port)) continue;
          reusesTimeWait = true;
        }
        // Linux 5.18 ("tcp: add small random increments to the source port"): advance the
        // perturbation by the ports tried plus a random 0..7 steps, so that the next port
        // toward the same destination is not simply the next one.
        const tried = Math.max(i, this.randomBelow(8) * 2);
        this.perturb[index] = (this.perturb[index] + tried + 2) >>> 0;
        return { ok: true, port, reusesTimeWait };
      }
      offset++;
      if (!((offset & 1) !== 0 && remaining > 1)) break;
    }
    return {
      ok: false,
      code: 'EADDRNOTAVAIL',
      message:
        `no free local port toward ${formatEndpoint(remoteAddress, remotePort)} in ipLocalPortRange ${this.low}-${this.high}: ` +
        `every usable port is taken by a connection or by TIME-WAIT. Widen ipLocalPortRange, enable tcpTwReuse (needs timestamps), or wait for TIME-WAIT to end`,
    };
  }

  /**
   * A port for bind() to port 0 or listen() without bind() (Linux inet_csk_find_open_port): a
   * random start of the parity opposite to connect()'s, then the other parity; a socket with
   * SO_REUSEADDR tries the lower half of the range first, then the upper half, leaving the rest
   * to sockets without. `isFree(port)`: bind() there would meet no conflict.
   */
  bindPort(isFree: (port: number) => boolean, reuseAddress = false): PortResult {
    let attemptHalf = reuseAddress ? 1 : 0;
    for (;;) {
      let low = this.low;
      let high = this.high + 1;
      if (high - low < 4) attemptHalf = 0;
      if (attemptHalf !== 0) {
        const half = low + (((high - low) >> 2) << 1);
        if (attemptHalf === 1) high = half;
        else low = half;
      }
      let remaining = high - low;
      if (remaining > 1) remaining &= ~1;
      let offset = this.randomBelow(remaining) | 1;
      for (;;) {
        let port = low + offset;
        for (let i = 0; i < remaining; i += 2, port += 2) {
          if (port >= high) port -= remaining;
          if (this.reserved.has(port)) continue;
          if (isFree(port)) return { ok: true, port, reusesTimeWait: false };
        }
        offset--;
        if (offset & 1) break;
      }
      if (attemptHalf !== 1) break;
      attemptHalf = 2;
    }
    return {
      ok: false,
      code: 'EADDRNOTAVAIL',
      message: `no free local port to bind in ipLocalPortRange ${this.low}-${this.high}: widen ipLocalPortRange, close sockets holding ports, or bind a port explicitly`,
    };
  }

  /**
   * secure_ipv4_port_ephemeral / secure_ipv6_port_ephemeral: SipHash of (saddr, daddr, dport).
   * Returns the low 32 bits (the perturbation index); the high 32 bits (the offset) are left in
   * `sipHashHigh`.
   */
  private portOffset(localAddress: IpAddress, remoteAddress: IpAddress, remotePort: number): number {
    let n = putAddress(tupleScratch, 0, localAddress);
    n = putAddress(tupleScratch, n, remoteAddress);
    n = putPort(tupleScratch, n, remotePort);
    // IPv4: siphash_3u32(saddr, daddr, (u16)dport): the port is the low half of a u32 word.
    if (typeof localAddress === 'number') {
      tupleScratch[n++] = 0;
      tupleScratch[n++] = 0;
    }
    return sipHash24(this.key, tupleScratch, n);
  }
}

function formatEndpoint(address: IpAddress, port: number): string {
  return typeof address === 'number' ? `${formatIpAddress(address)}:${port}` : `[${formatIpAddress(address)}]:${port}`;
}
