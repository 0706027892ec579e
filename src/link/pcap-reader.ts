// Reads classic pcap files (either byte order, micro- or nanosecond timestamps) and
// hands back the IP packet inside each record, whatever the capture's link type.
import {
  LinkType,
  PCAP_GLOBAL_HEADER_LENGTH,
  PCAP_MAGIC_MICROS,
  PCAP_MAGIC_NANOS,
  PCAP_RECORD_HEADER_LENGTH,
  type TimestampResolution,
} from './pcap-format.js';

export interface PcapRecord {
  /** Capture time in nanoseconds since the epoch (bigint: nanoseconds overflow 2^53). */
  readonly timestampNs: bigint;
  /** Length of the packet on the wire; more than `data.length` when the snap length cut it. */
  readonly originalLength: number;
  /** The bytes of the record as captured, link-layer header included. */
  readonly data: Uint8Array;
  /** The IP packet inside, or undefined when the link layer carries something else (ARP...). */
  readonly ip: Uint8Array | undefined;
}

export interface PcapFile {
  readonly linkType: number;
  readonly snapLength: number;
  readonly resolution: TimestampResolution;
  readonly records: PcapRecord[];
}

export class PcapFormatError extends Error {
  readonly code = 'ERR_PCAP_FORMAT';
}

/** Parse a whole pcap file held in memory. Throws PcapFormatError on a file that is not pcap. */
export function readPcap(bytes: Uint8Array): PcapFile {
  if (bytes.length < PCAP_GLOBAL_HEADER_LENGTH) throw new PcapFormatError(`not a pcap file: ${bytes.length} bytes is shorter than the 24-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicLE = view.getUint32(0, true);
  const magicBE = view.getUint32(0, false);
  let littleEndian: boolean;
  let resolution: TimestampResolution;
  if (magicLE === PCAP_MAGIC_MICROS || magicLE === PCAP_MAGIC_NANOS) {
    littleEndian = true;
    resolution = magicLE === PCAP_MAGIC_NANOS ? 'nano' : 'micro';
  } else if (magicBE === PCAP_MAGIC_MICROS || magicBE === PCAP_MAGIC_NANOS) {
    littleEndian = false;
    resolution = magicBE === PCAP_MAGIC_NANOS ? 'nano' : 'micro';
  } else {
    throw new PcapFormatError(`not a pcap file: magic 0x${magicBE.toString(16)} (pcapng is not read; convert with editcap -F pcap)`);
  }
  const snapLength = view.getUint32(16, littleEndian);
  const linkType = view.getUint32(20, littleEndian) & 0x0fffffff;
  const records: PcapRecord[] = [];
  let offset = PCAP_GLOBAL_HEADER_LENGTH;
  const fractionScale = resolution === 'nano' ? 1n : 1000n;
  while (offset + PCAP_RECORD_HEADER_LENGTH <= bytes.length) {
    const seconds = view.getUint32(offset, littleEndian);
    const fraction = view.getUint32(offset + 4, littleEndian);
    const includedLength = view.getUint32(offset + 8, littleEndian);
    const originalLength = view.getUint32(offset + 12, littleEndian);
    const start = offset + PCAP_RECORD_HEADER_LENGTH;
    if (start + includedLength > bytes.length) throw new PcapFormatError(`truncated record at byte ${offset}: ${includedLength} bytes announced`);
    const data = bytes.subarray(start, start + includedLength);
    records.push({
      timestampNs: BigInt(seconds) * 1_000_000_000n + BigInt(fraction) * fractionScale,
      originalLength,
      data,
      ip: ipPayload(linkType, data),
    });
    offset = start + includedLength;
  }
  if (offset !== bytes.length) throw new PcapFormatError(`truncated record header at byte ${offset}`);
  return { linkType, snapLength, resolution, records };
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;

function ipPayload(linkType: number, data: Uint8Array): Uint8Array | undefined {
  switch (linkType) {
    case LinkType.RAW:
    case LinkType.IPV4:
    case LinkType.IPV6:
      return data;
    case LinkType.ETHERNET: {
      let typeOffset = 12;
      let etherType = data.length >= 14 ? (data[12] << 8) | data[13] : -1;
      if (etherType === ETHERTYPE_VLAN && data.length >= 18) {
        typeOffset = 16;
        etherType = (data[16] << 8) | data[17];
      }
      return isIp(etherType) ? data.subarray(typeOffset + 2) : undefined;
    }
    case LinkType.LINUX_SLL: {
      const protocol = data.length >= 16 ? (data[14] << 8) | data[15] : -1;
      return isIp(protocol) ? data.subarray(16) : undefined;
    }
    case LinkType.LINUX_SLL2: {
      const protocol = data.length >= 20 ? (data[0] << 8) | data[1] : -1;
      return isIp(protocol) ? data.subarray(20) : undefined;
    }
    default:
      return undefined;
  }
}

function isIp(etherType: number): boolean {
  return etherType === ETHERTYPE_IPV4 || etherType === ETHERTYPE_IPV6;
}
