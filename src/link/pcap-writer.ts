// Streams packets into a classic pcap file with bounded memory: records are packed
// into one fixed buffer that is written out whenever it fills, and on flush/close.
import { closeSync, openSync, writeSync } from 'node:fs';
import {
  LinkType,
  PCAP_GLOBAL_HEADER_LENGTH,
  PCAP_MAGIC_MICROS,
  PCAP_MAGIC_NANOS,
  PCAP_RECORD_HEADER_LENGTH,
  type TimestampResolution,
} from './pcap-format.js';

export interface PcapWriterOptions {
  /** Bytes kept of each packet; longer packets are cut, their original length recorded. */
  snapLength?: number;
  resolution?: TimestampResolution;
  /** LINKTYPE_RAW by default: the records are bare IPv4 or IPv6 packets, as on a TUN device. */
  linkType?: number;
  /** Size of the staging buffer; nothing beyond it is ever held in memory. */
  bufferBytes?: number;
}

const DEFAULT_SNAP_LENGTH = 262_144;

export class PcapWriter {
  readonly path: string;
  readonly snapLength: number;
  readonly resolution: TimestampResolution;
  private fd: number | undefined;
  private readonly buffer: Uint8Array;
  private readonly view: DataView;
  private used = 0;
  private packetCount = 0;

  constructor(path: string, options: PcapWriterOptions = {}) {
    this.path = path;
    this.snapLength = options.snapLength ?? DEFAULT_SNAP_LENGTH;
    this.resolution = options.resolution ?? 'micro';
    if (!Number.isInteger(this.snapLength) || this.snapLength < 1) throw new RangeError(`snapLength must be a positive integer, got ${this.snapLength}`);
    this.buffer = new Uint8Array(Math.max(options.bufferBytes ?? 256 * 1024, PCAP_GLOBAL_HEADER_LENGTH));
    this.view = new DataView(this.buffer.buffer);
    this.fd = openSync(path, 'w');
    const magic = this.resolution === 'nano' ? PCAP_MAGIC_NANOS : PCAP_MAGIC_MICROS;
    this.view.setUint32(0, magic, true);
    this.view.setUint16(4, 2, true);
    this.view.setUint16(6, 4, true);
    this.view.setInt32(8, 0, true);
    this.view.setUint32(12, 0, true);
    this.view.setUint32(16, this.snapLength, true);
    this.view.setUint32(20, options.linkType ?? LinkType.RAW, true);
    this.used = PCAP_GLOBAL_HEADER_LENGTH;
  }

  get packets(): number {
    return this.packetCount;
  }

  /** Append one packet captured at `timestampNs` (nanoseconds since the epoch). */
  write(packet: Uint8Array, timestampNs: bigint): void {
    if (this.fd === undefined) throw Object.assign(new Error(`pcap writer for ${this.path} is closed`), { code: 'ERR_PCAP_CLOSED' });
    const included = Math.min(packet.length, this.snapLength);
    if (this.used + PCAP_RECORD_HEADER_LENGTH + included > this.buffer.length) this.flush();
    const seconds = timestampNs / 1_000_000_000n;
    const nanos = timestampNs % 1_000_000_000n;
    const fraction = this.resolution === 'nano' ? nanos : nanos / 1000n;
    const header = PCAP_RECORD_HEADER_LENGTH;
    const fd = this.fd;
    if (header + included > this.buffer.length) {
      // A record larger than the staging buffer goes straight to the file.
      const record = new Uint8Array(header);
      const v = new DataView(record.buffer);
      v.setUint32(0, Number(seconds), true);
      v.setUint32(4, Number(fraction), true);
      v.setUint32(8, included, true);
      v.setUint32(12, packet.length, true);
      writeSync(fd, record);
      writeSync(fd, packet.subarray(0, included));
    } else {
      this.view.setUint32(this.used, Number(seconds), true);
      this.view.setUint32(this.used + 4, Number(fraction), true);
      this.view.setUint32(this.used + 8, included, true);
      this.view.setUint32(this.used + 12, packet.length, true);
      this.buffer.set(packet.subarray(0, included), this.used + header);
      this.used += header + included;
    }
    this.packetCount++;
  }

  /** Write out whatever is staged, so that the file on disk is complete up to here. */
  flush(): void {
    if (this.fd === undefined || this.used === 0) return;
    let done = 0;
    while (done < this.used) done += writeSync(this.fd, this.buffer, done, this.used - done);
    this.used = 0;
  }

  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
  }
}

// Wall-clock anchor taken once, then advanced by the monotonic clock, so that
// capture timestamps have nanosecond resolution and never go backwards.
const epochAnchorNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

/** Wall-clock time in nanoseconds, for timestamping captured packets. */
export function wallClockNs(): bigint {
  return epochAnchorNs + process.hrtime.bigint();
}
