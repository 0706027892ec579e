// A Link over a TUN device: the kernel on one side, tcplab on the other.
//
// With `offload` (the default) the device is opened with virtio-net headers and checksum and TSO
// offloads (src/link/offload.ts): the kernel hands over coalesced TCP packets of up to 64 KiB
// without computing their checksums, and takes super-segments of up to 64 KiB with partial
// checksums, which it never needs to cut up when they are for itself. At open a probe writes
// one packet of each kind that the kernel drops right after accepting it (source and
// destination 0.0.0.0, a martian); a kernel that refuses the write (EINVAL) loses that offload,
// and a kernel that refuses the ioctls gets a plain device: `offloadFallback` says why.
import { IPPROTO_TCP } from '../wire/ip-protocol.js';
import { IPV4_MIN_HEADER_LENGTH, writeIpv4Header } from '../wire/ipv4.js';
import { markPartialChecksum } from '../wire/partial-checksum.js';
import { TCP_ACK, writeTcpSegment } from '../wire/tcp.js';
import type { Link, LinkOffload, PacketBatch } from './link.js';
import { rxChecksumTrusted, txVnetHdr, VNET_HDR_SIZE } from './offload.js';
import { TunDevice, type PacketBatch as DeviceBatch, type TunOptions } from './tun-device.js';
import { invalidArgType } from './tun-errors.js';

export interface TunLinkOptions extends TunOptions {
  /**
   * Checksum and TSO offloads through virtio-net headers (IFF_VNET_HDR, TUNSETOFFLOAD), probed
   * at open; what the kernel refuses is left out (see `offloadFallback`). Default true: the
   * stack then moves 64 KiB super-segments and sums no data. Packets then cross with partial
   * checksums (as tcpdump on the host shows them with offloads): whoever looks at them beside
   * the stack must honour PacketBatch.checksumTrusted, and a link that copies packets (fault
   * injection) needs a plain device (false).
   */
  offload?: boolean;
  /**
   * Writes go through a writer thread (TunDevice.startWriter), started after the offload probe:
   * `true`, or the idle thread's spin in µs, or false. Default 'auto': a thread when the link
   * ends up without offloads, where tcplab writes one small packet per segment and the kernel's
   * receive work inside each write() is worth moving to another core (bench, MTU 1500: bulk
   * kernel → tcplab 1.9 → 3.0 Gb/s, connections 10.7k → 14.1k/s, request/response p50 +10%);
   * none with offloads, where writes are few and large and the hand-off costs more than it saves
   * (bulk 8.8 → 7.3 Gb/s with a thread). A process confined to one CPU writes on the event
   * loop while the ring is empty (TunDevice.startWriter).
   */
  writerThread?: boolean | number | 'auto';
}

/** The largest super-segment (Linux GSO_LEGACY_MAX_SIZE: an IPv4 Total Length is 16 bits). */
export const GSO_MAX_SIZE = 65536;

/** Errors of the offload ioctls, after which a plain device is opened instead. */
const REFUSED = new Set(['EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'ENOTTY']);

/** A device batch seen through its virtio-net headers: packets without them, trust flags from them. */
class VnetBatch implements PacketBatch {
  count = 0;
  raw: DeviceBatch | undefined;

  packet(index: number): Uint8Array {
    const raw = this.raw as DeviceBatch;
    if (!(index >= 0 && index < raw.count)) return raw.packet(index); // throws the device's RangeError
    const start = raw.offsets[index] as number;
    const length = raw.lengths[index] as number;
    if (length < VNET_HDR_SIZE) return raw.buffer.subarray(start, start); // counted as truncated above
    return raw.buffer.subarray(start + VNET_HDR_SIZE, start + length);
  }

  checksumTrusted(index: number): boolean {
    const raw = this.raw as DeviceBatch;
    return (raw.lengths[index] as number) >= VNET_HDR_SIZE && rxChecksumTrusted(raw.buffer[raw.offsets[index] as number] as number);
  }
}

export class TunLink implements Link {
  readonly device: TunDevice;
  readonly offload: LinkOffload | undefined;
  /** Why offloads asked for are not (all) in use, when the kernel refused some. */
  readonly offloadFallback: string | undefined;
  #headers = new Uint8Array(0);
  readonly #batch = new VnetBatch();

  constructor(device: TunDevice, offload?: LinkOffload, offloadFallback?: string) {
    this.device = device;
    this.offload = offload;
    this.offloadFallback = offloadFallback;
  }

  /** Open a TUN device (see TunOptions, and `offload` above) and wrap it. */
  static open(options: TunLinkOptions): TunLink {
    const { writerThread = 'auto', ...rest } = options;
    if (writerThread !== 'auto' && typeof writerThread !== 'boolean' && typeof writerThread !== 'number') {
      throw invalidArgType('options.writerThread', "a boolean, a number of µs or 'auto'", writerThread);
    }
    const link = TunLink.#open(rest);
    const thread = writerThread === 'auto' ? link.offload === undefined : writerThread;
    if (thread !== false) {
      try {
        link.device.startWriter(thread === true ? 0 : thread);
      } catch (err) {
        link.close();
        throw err;
      }
    }
    return link;
  }

  static #open(options: Omit<TunLinkOptions, 'writerThread'>): TunLink {
    const { offload = true, ...deviceOptions } = options;
    if (!offload) return new TunLink(TunDevice.open(deviceOptions));
    let device: TunDevice;
    try {
      device = TunDevice.open({ ...deviceOptions, vnetHdr: true });
    } catch (err) {
      const e = err as { code?: string; syscall?: string; message?: string };
      if (!REFUSED.has(e.code ?? '') || !(e.syscall ?? '').startsWith('ioctl(TUNSET')) throw err;
      return new TunLink(TunDevice.open(deviceOptions), undefined, `the kernel refused virtio-net headers: ${e.message ?? e.code}`);
    }
    try {
      if (deviceOptions.up === false) return new TunLink(device, undefined, 'offloads are probed on a device that is up: none in use');
      const checksum = probe(device, false);
      const gso = checksum && probe(device, true);
      const fallback = !checksum ? 'the kernel refused a packet with a partial checksum' : !gso ? 'the kernel refused a TSO packet' : undefined;
      return new TunLink(device, checksum ? { checksum, gsoMaxSize: gso ? GSO_MAX_SIZE : 0 } : undefined, fallback);
    } catch (err) {
      device.close();
      throw err;
    }
  }

  get mtu(): number {
    return this.device.mtu;
  }

  send(packets: readonly Uint8Array[]): void {
    if (this.device.vnetHdrSize === 0) {
      this.device.write(packets);
      return;
    }
    const need = packets.length * VNET_HDR_SIZE;
    if (this.#headers.length < need) this.#headers = new Uint8Array(Math.max(need, 2 * this.#headers.length));
    const headers = this.#headers;
    const mtu = this.device.mtu;
    for (let i = 0; i < packets.length; i++) txVnetHdr(packets[i] as Uint8Array, mtu, headers, i * VNET_HDR_SIZE);
    this.device.writeVnet(packets, headers);
  }

  onReceive(handler: (batch: PacketBatch) => void): void {
    if (this.device.vnetHdrSize === 0) {
      this.device.onBatch(handler);
      return;
    }
    const batch = this.#batch;
    this.device.onBatch((raw) => {
      batch.raw = raw;
      batch.count = raw.count;
      handler(batch);
    });
  }

  close(): void {
    this.device.close();
  }
}

/**
 * Writes one TCP packet from 0.0.0.0 to 0.0.0.0 (the kernel drops it as a martian once it has
 * taken it) with a partial checksum, as a 2-segment TSO packet when `gso`; true when the write
 * was accepted. Some kernels refuse GSO writes with EINVAL: that is what this finds out.
 */
function probe(device: TunDevice, gso: boolean): boolean {
  const mss = 536;
  const payload = new Uint8Array(gso ? 2 * mss : 8);
  const fields = { srcPort: 9, dstPort: 9, seq: 0, ack: 0, flags: TCP_ACK, window: 0, payload };
  const packet = new Uint8Array(IPV4_MIN_HEADER_LENGTH + 20 + payload.length);
  writeIpv4Header(packet, 0, { src: 0, dst: 0, protocol: IPPROTO_TCP, ttl: 1, totalLength: packet.length });
  writeTcpSegment(packet, IPV4_MIN_HEADER_LENGTH, fields, 0, 0, true);
  markPartialChecksum(packet, gso ? mss : 0);
  const headers = new Uint8Array(VNET_HDR_SIZE);
  // As a TSO packet only when larger than the "MTU" given here.
  txVnetHdr(packet, gso ? mss + 40 : packet.length, headers, 0);
  const before = device.stats().txErrors;
  device.writeVnet([packet], headers);
  return device.stats().txErrors === before;
}
