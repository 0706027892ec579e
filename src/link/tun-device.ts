// A TUN device: raw IPv4/IPv6 packets between the kernel and this process, moved in
// batches through the native addon (native/addon.cc).
//
//   const tun = TunDevice.open({ netns: 'lab', addresses: ['10.7.0.1/24', 'fd00:7::1/64'] });
//   tun.onBatch((batch) => {
//     for (let i = 0; i < batch.count; i++) handle(batch.packet(i)); // valid only in here
//   });
//   tun.write([packet]);
//   tun.close();
//
// Reading is driven by readiness of the non-blocking fd on Node's event loop: every
// wake-up drains up to a few batches of up to `batchPackets` packets into one arena, and
// JS gets one call per batch. The arena and the offset/length tables are allocated once
// at open; a batch's bytes are valid only during its callback (the next batch
// overwrites them): copy what you keep.
import { accessSync, constants, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isIPv4, isIPv6 } from 'node:net';
import { join } from 'node:path';
import {
  addonMissing,
  CAP_NET_ADMIN_HINT,
  fromAddonError,
  invalidArgType,
  invalidArgValue,
  outOfRange,
  TUN_MISSING_HINT,
  tunClosed,
} from './tun-errors.js';
import { packageRoot } from './package-root.js';

export type { TunCodedError, TunSystemError } from './tun-errors.js';

export interface TunOptions {
  /**
   * Device name (at most 15 bytes, no '/', ':' or whitespace), or a pattern with one
   * `%d` the kernel fills in. Default `tcplab%d`.
   */
  name?: string;
  /**
   * Create the device inside this network namespace: a name under /var/run/netns
   * (as `ip netns add` makes) or an absolute path to a namespace file. The device's fd
   * stays usable from this process. Default: the process's own namespace.
   */
  netns?: string;
  /** 68..65535 (IPv6 addresses need at least 1280). Default 1500. */
  mtu?: number;
  /** Length of the device's transmit queue (kernel → us), 1..1048576. Default 5000. `null`
   *  leaves the kernel's (500): the ioctl needs CAP_NET_ADMIN in the initial user namespace,
   *  so inside a user namespace the caller sets it over netlink instead (`ip link set`). */
  txQueueLen?: number | null;
  /** Addresses in CIDR form, e.g. '10.7.0.1/24', 'fd00:7::1/64'. Default none. */
  addresses?: readonly string[];
  /** Bring the link up. Default true. */
  up?: boolean;
  /** Most packets per read batch, 1..4096. Default 256. */
  batchPackets?: number;
  /**
   * virtio-net header offloads: IFF_VNET_HDR and TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4 |
   * TUN_F_TSO6). Every packet read then starts with a 12-byte header (see src/link/offload.ts),
   * and packets are written with `writeVnet`. Default false. TunLink's `offload` option uses it.
   */
  vnetHdr?: boolean;
}

/**
 * Packets received together. Packet i is `buffer[offsets[i] .. offsets[i] + lengths[i])`
 * for i < count (the tables are longer than count). Everything here is reused: valid
 * only during the callback.
 */
export interface PacketBatch {
  readonly count: number;
  readonly buffer: Uint8Array;
  readonly offsets: Uint32Array;
  readonly lengths: Uint32Array;
  /** A view (no copy) of packet `index`. */
  packet(index: number): Uint8Array;
}

export interface TunStats {
  rxPackets: number;
  rxBytes: number;
  /** Callbacks made (each with one or more packets). */
  rxBatches: number;
  /** Times the event loop found the device readable. */
  rxWakeups: number;
  rxErrors: number;
  txPackets: number;
  txBytes: number;
  /** Writes refused with EAGAIN (the batch stopped there). */
  txEagain: number;
  /** Packets dropped because write() failed otherwise (e.g. EINVAL for a malformed packet). */
  txErrors: number;
  /** errno name of the last such failure, or null. */
  lastTxError: string | null;
  /** Whether a writer thread writes the packets (startWriter()). */
  txWriter: boolean;
  /** Times a write call waited for room in the writer thread's ring. */
  txRingWaits: number;
  /** Times the writer thread was woken from sleep. */
  txWriterWakeups: number;
}

export type TunAvailability = { ok: true } | { ok: false; code: string; reason: string };

// ---- the addon ----

interface NativeAddress {
  family: 4 | 6;
  address: string;
  prefix: number;
}

interface NativeOptions {
  name: string;
  netns: string;
  mtu: number;
  txQueueLen: number;
  up: boolean;
  addresses: NativeAddress[];
  batchPackets: number;
  vnetHdr: boolean;
}

interface NativeTun {
  readonly name: string;
  readonly fd: number;
  readonly closed: boolean;
  readonly arena: ArrayBuffer;
  readonly offsets: ArrayBuffer;
  readonly lengths: ArrayBuffer;
  readonly batchPackets: number;
  readonly vnetHdrSize: number;
  start(onBatch: (count: number) => void, onError: (err: Error) => void): void;
  stop(): void;
  setRef(ref: boolean): void;
  writeBatch(buffer: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count: number): number;
  writeArray(packets: readonly Uint8Array[]): number;
  writeVnet(packets: readonly Uint8Array[], headers: Uint8Array): number;
  startWriter(spinMicros: number): void;
  stats(): TunStats;
  close(): void;
}

interface NativeAddon {
  TunDevice: new (options: NativeOptions) => NativeTun;
  maxPacket: number;
  maxBatchPackets: number;
}

const ADDON_RELATIVE_PATH = join('build', 'Release', 'tcplab_tun.node');


let addon: NativeAddon | undefined;

function loadAddon(): NativeAddon {
  if (addon) return addon;
  let path = ADDON_RELATIVE_PATH;
  try {
    path = join(packageRoot(), ADDON_RELATIVE_PATH);
    addon = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (err) {
    throw addonMissing(path, err);
  }
  return addon;
}

// ---- validation (all of it before any system call) ----

const DEFAULTS = { name: 'tcplab%d', mtu: 1500, txQueueLen: 5000, up: true, batchPackets: 256 } as const;
const MAX_TX_QUEUE_LEN = 1 << 20;
const MAX_BATCH_PACKETS = 4096;
const IPV6_MIN_MTU = 1280;

function checkInt(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < min || value > max) throw outOfRange(name, `an integer >= ${min} && <= ${max}`, value);
  return value;
}

function checkBool(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

function checkName(value: unknown): string {
  if (typeof value !== 'string') throw invalidArgType('options.name', 'of type string', value);
  if (value.length === 0) throw invalidArgValue('options.name', value, 'must not be empty');
  if (Buffer.byteLength(value) > 15) throw invalidArgValue('options.name', value, 'must be at most 15 bytes (IFNAMSIZ - 1)');
  if (value === '.' || value === '..') throw invalidArgValue('options.name', value, "must not be '.' or '..'");
  if (/[/:\s\0]/.test(value)) throw invalidArgValue('options.name', value, "must not contain '/', ':', NUL or whitespace");
  const percents = value.split('%').length - 1;
  if (percents > 1 || (percents === 1 && !value.includes('%d'))) {
    throw invalidArgValue('options.name', value, "may contain '%' only as one '%d' pattern");
  }
  return value;
}

/** Returns the namespace file to open. */
function checkNetns(value: unknown): string {
  if (typeof value !== 'string') throw invalidArgType('options.netns', 'of type string', value);
  if (value.length === 0) throw invalidArgValue('options.netns', value, 'must not be empty');
  if (value.includes('\0')) throw invalidArgValue('options.netns', value, 'must not contain NUL');
  if (value.startsWith('/')) return value;
  if (value.includes('/') || value === '.' || value === '..') {
    throw invalidArgValue('options.netns', value, 'must be a namespace name (as in `ip netns list`) or an absolute path');
  }
  return `/var/run/netns/${value}`;
}

function parseCidr(name: string, value: unknown): NativeAddress {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string (CIDR, e.g. 10.7.0.1/24)', value);
  const slash = value.indexOf('/');
  const address = slash < 0 ? value : value.slice(0, slash);
  const prefixText = slash < 0 ? '' : value.slice(slash + 1);
  const family = isIPv4(address) ? 4 : isIPv6(address) && !address.includes('%') ? 6 : 0;
  if (family === 0) throw invalidArgValue(name, value, 'must be an IPv4 or IPv6 address in CIDR form (e.g. 10.7.0.1/24, fd00:7::1/64)');
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
    throw invalidArgValue(name, value, `must end in a prefix length /0../${max}`);
  }
  return { family, address, prefix: Number(prefixText) };
}

function validate(opts: unknown): NativeOptions & { given: { netns?: string; addresses: string[] } } {
  if (opts === undefined) opts = {};
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) throw invalidArgType('options', 'of type object', opts);
  const o = opts as Record<string, unknown>;
  const name = o.name === undefined ? DEFAULTS.name : checkName(o.name);
  const netns = o.netns === undefined ? '' : checkNetns(o.netns);
  const mtu = o.mtu === undefined ? DEFAULTS.mtu : checkInt('options.mtu', o.mtu, 68, 65535);
  const txQueueLen = o.txQueueLen === undefined ? DEFAULTS.txQueueLen : o.txQueueLen === null ? -1 : checkInt('options.txQueueLen', o.txQueueLen, 1, MAX_TX_QUEUE_LEN);
  const up = o.up === undefined ? DEFAULTS.up : checkBool('options.up', o.up);
  const batchPackets = o.batchPackets === undefined ? DEFAULTS.batchPackets : checkInt('options.batchPackets', o.batchPackets, 1, MAX_BATCH_PACKETS);
  const vnetHdr = o.vnetHdr === undefined ? false : checkBool('options.vnetHdr', o.vnetHdr);
  let given: string[] = [];
  const addresses: NativeAddress[] = [];
  if (o.addresses !== undefined) {
    if (!Array.isArray(o.addresses)) throw invalidArgType('options.addresses', 'an array of CIDR strings', o.addresses);
    given = [...(o.addresses as unknown[])] as string[];
    given.forEach((a, i) => addresses.push(parseCidr(`options.addresses[${i}]`, a)));
  }
  if (mtu < IPV6_MIN_MTU && addresses.some((a) => a.family === 6)) {
    throw outOfRange('options.mtu', `>= ${IPV6_MIN_MTU} when an IPv6 address is configured`, mtu);
  }
  return {
    name,
    netns,
    mtu,
    txQueueLen,
    up,
    addresses,
    batchPackets,
    vnetHdr,
    given: { ...(o.netns === undefined ? {} : { netns: o.netns as string }), addresses: given },
  };
}

// ---- the device ----

class Batch implements PacketBatch {
  count = 0;
  constructor(
    readonly buffer: Uint8Array,
    readonly offsets: Uint32Array,
    readonly lengths: Uint32Array,
  ) {}

  packet(index: number): Uint8Array {
    if (!(index >= 0 && index < this.count)) throw outOfRange('index', `>= 0 && < ${this.count}`, index);
    const start = this.offsets[index] as number;
    return this.buffer.subarray(start, start + (this.lengths[index] as number));
  }
}

export class TunDevice {
  /** The real device name (the kernel filled in any %d). */
  readonly name: string;
  readonly mtu: number;
  /** The `netns` option as given, if any. */
  readonly netns?: string;
  /** The configured addresses, as given. */
  readonly addresses: readonly string[];
  readonly batchPackets: number;
  /** 12 with `vnetHdr` (each packet read starts with its virtio-net header), else 0. */
  readonly vnetHdrSize: number;

  readonly #native: NativeTun;
  readonly #batch: Batch;
  #onBatch: ((batch: PacketBatch) => void) | undefined;
  #onError: ((err: Error) => void) | undefined;
  #paused = false;
  /** Mirrors the addon's `closed` (only close() closes the fd), read on every write without a
   *  call into the addon. */
  #closed = false;
  readonly #dispatch = (count: number): void => {
    const batch = this.#batch;
    batch.count = count;
    (this.#onBatch as (batch: PacketBatch) => void)(batch);
  };
  readonly #readError = (err: Error): void => {
    const e = fromAddonError(err);
    const onError = this.#onError;
    this.close(); // a read error is final (the device is gone), like a socket destroyed on 'error'
    if (onError) {
      onError(e);
    } else {
      throw e; // like an 'error' event nobody listens to: uncaught
    }
  };

  private constructor(native: NativeTun, mtu: number, given: { netns?: string; addresses: string[] }) {
    this.#native = native;
    this.name = native.name;
    this.mtu = mtu;
    if (given.netns !== undefined) this.netns = given.netns;
    this.addresses = Object.freeze(given.addresses);
    this.batchPackets = native.batchPackets;
    this.vnetHdrSize = native.vnetHdrSize;
    this.#batch = new Batch(new Uint8Array(native.arena), new Uint32Array(native.offsets), new Uint32Array(native.lengths));
  }

  /**
   * Opens and configures a TUN device (IFF_TUN | IFF_NO_PI). Throws TypeError/RangeError
   * (ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE) for bad options before
   * any system call, and system errors (EPERM, EACCES, ENOENT, EBUSY, ...) whose message
   * says what to do.
   */
  static open(opts?: TunOptions): TunDevice {
    const options = validate(opts);
    const { given, ...nativeOptions } = options;
    const native = loadAddon();
    let handle: NativeTun;
    try {
      handle = new native.TunDevice(nativeOptions);
    } catch (err) {
      throw fromAddonError(err);
    }
    return new TunDevice(handle, options.mtu, given);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The file descriptor (-1 once closed), for diagnostics. */
  get fd(): number {
    return this.#native.fd;
  }

  /**
   * Sets the receiver of incoming packets and starts reading (unless paused). One call
   * per batch; the batch and its bytes are reused: valid only during the call. A read
   * error (the device was deleted under us) closes the device and goes to `onError`, or
   * is thrown (uncaught) without one. An exception thrown by `cb` is uncaught too (as
   * from a 'data' listener); reading continues.
   */
  onBatch(cb: (batch: PacketBatch) => void, onError?: (err: Error) => void): void {
    if (typeof cb !== 'function') throw invalidArgType('cb', 'of type function', cb);
    if (onError !== undefined && typeof onError !== 'function') throw invalidArgType('onError', 'of type function', onError);
    if (this.closed) throw tunClosed(this.name, 'onBatch');
    this.#onBatch = cb;
    this.#onError = onError;
    if (!this.#paused) this.#start();
  }

  /** Stops reading; packets wait in the kernel's queue (up to txQueueLen, then dropped). */
  pause(): void {
    this.#paused = true;
    if (!this.closed) this.#native.stop();
  }

  /** Resumes reading after pause(). */
  resume(): void {
    if (this.closed) throw tunClosed(this.name, 'resume');
    this.#paused = false;
    if (this.#onBatch) this.#start();
  }

  /** An active reader keeps the process alive (the default); unref() lets it exit. */
  ref(): void {
    this.#native.setRef(true);
  }

  unref(): void {
    this.#native.setRef(false);
  }

  /**
   * Writes packets `buffer[offsets[i] .. offsets[i] + lengths[i])` for i < count (default:
   * all of offsets). Returns how many, from the front, were consumed: written, or dropped
   * with an error counted in stats() (txErrors). Fewer than count only when the kernel
   * said EAGAIN (counted in txEagain); the rest were not attempted.
   */
  writeBatch(buffer: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count: number = offsets.length): number {
    if (this.closed) throw tunClosed(this.name, 'writeBatch');
    if (!(buffer instanceof Uint8Array)) throw invalidArgType('buffer', 'an instance of Uint8Array', buffer);
    if (!(offsets instanceof Uint32Array)) throw invalidArgType('offsets', 'an instance of Uint32Array', offsets);
    if (!(lengths instanceof Uint32Array)) throw invalidArgType('lengths', 'an instance of Uint32Array', lengths);
    checkInt('count', count, 0, Math.min(offsets.length, lengths.length));
    return this.#native.writeBatch(buffer, offsets, lengths, count);
  }

  /** Writes each packet; same return value as writeBatch. */
  write(packets: readonly Uint8Array[]): number {
    if (this.closed) throw tunClosed(this.name, 'write');
    if (!Array.isArray(packets)) throw invalidArgType('packets', 'an array of Uint8Array', packets);
    return this.#native.writeArray(packets);
  }

  /**
   * With `vnetHdr`: writes packet i after its virtio-net header, `headers[i * vnetHdrSize ..
   * (i + 1) * vnetHdrSize)` (src/link/offload.ts builds them). Same return value as writeBatch.
   */
  writeVnet(packets: readonly Uint8Array[], headers: Uint8Array): number {
    if (this.closed) throw tunClosed(this.name, 'writeVnet');
    if (!Array.isArray(packets)) throw invalidArgType('packets', 'an array of Uint8Array', packets);
    if (!(headers instanceof Uint8Array)) throw invalidArgType('headers', 'an instance of Uint8Array', headers);
    return this.#native.writeVnet(packets, headers);
  }

  /**
   * From now on a thread of the addon writes the packets (native/tx_writer.h): the write calls
   * copy them into its ring and return, so the kernel's receive work for each packet (which a
   * TUN write() does inside the system call) runs on another core. Order is kept; a full ring
   * makes the write call wait. The write calls then consume every packet: failures are only
   * counted in stats(). `spinMicros` (0..1000, default 0): how long the idle thread polls the
   * ring before it sleeps, trading a core's time for the wake-up latency. Calling it again
   * does nothing; close() writes what is queued first. While the process may run on one CPU
   * only (taskset, a cpuset), a write call finding the ring empty writes at once itself: the
   * thread would share that CPU and only add two context switches (the thread re-reads its
   * affinity at least every 100 ms).
   */
  startWriter(spinMicros = 0): void {
    if (this.closed) throw tunClosed(this.name, 'startWriter');
    checkInt('spinMicros', spinMicros, 0, 1000);
    this.#native.startWriter(spinMicros);
  }

  /** Counters since open (still readable after close). */
  stats(): TunStats {
    return this.#native.stats();
  }

  /** Stops reading and closes the fd: the device disappears. Calling it again does nothing. */
  close(): void {
    this.#native.close();
    this.#closed = true;
    this.#onBatch = undefined;
    this.#onError = undefined;
  }

  #start(): void {
    this.#native.start(this.#dispatch, this.#readError);
  }
}

function capNetAdmin(): boolean | undefined {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
    if (!m) return undefined;
    const CAP_NET_ADMIN = 12n;
    return ((BigInt(`0x${m[1]}`) >> CAP_NET_ADMIN) & 1n) === 1n;
  } catch {
    return undefined;
  }
}

/**
 * Could TunDevice.open() work here? Checks the platform, the addon, /dev/net/tun and
 * CAP_NET_ADMIN without creating anything. (Opening inside a named namespace also needs
 * CAP_SYS_ADMIN for setns.)
 */
export function tunAvailable(): TunAvailability {
  if (process.platform !== 'linux') return { ok: false, code: 'ENOTSUP', reason: `TUN devices are supported on Linux only (this is ${process.platform})` };
  try {
    loadAddon();
  } catch (err) {
    return { ok: false, code: 'ERR_TUN_ADDON', reason: (err as Error).message };
  }
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'EACCES';
    if (code === 'ENOENT' || code === 'ENODEV') return { ok: false, code, reason: TUN_MISSING_HINT };
    return { ok: false, code, reason: `/dev/net/tun is not readable and writable: ${CAP_NET_ADMIN_HINT}` };
  }
  if (capNetAdmin() === false) return { ok: false, code: 'EPERM', reason: CAP_NET_ADMIN_HINT };
  return { ok: true };
}
