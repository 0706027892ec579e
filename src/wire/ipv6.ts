/**
 * The IPv6 header (RFC 8200 §3) and the walk along its extension headers (RFC 8200 §4) to the
 * upper-layer protocol:
 *
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |Version| Traffic Class |           Flow Label                  |
 *    |         Payload Length        |  Next Header  |   Hop Limit   |
 *    |                  Source Address (128 bits)                    |
 *    |               Destination Address (128 bits)                  |
 *
 * Walked: Hop-by-Hop Options (0), Routing (43), Fragment (44), Destination Options (60) and
 * Authentication Header (51). The walk stops at anything else: TCP, UDP, ICMPv6, No Next Header
 * (59), ESP (50, whose payload is encrypted) and extension headers Linux does not know either
 * (Mobility, HIP, Shim6), which then show up as an unknown upper-layer protocol.
 *
 * Fragments parse with `isFragment: true` and the walk stops at their Fragment header: what
 * follows belongs to a datagram tcplab does not reassemble. An atomic fragment (offset 0, M clear,
 * RFC 6946) is a whole packet, and the walk goes on through it.
 */

import type { Ipv6Address } from './address.js';
import { readU16, readU32, view, writeU16, writeU32 } from './bytes.js';
import {
  IPPROTO_AH,
  IPPROTO_DSTOPTS,
  IPPROTO_FRAGMENT,
  IPPROTO_HOPOPTS,
  IPPROTO_ROUTING,
} from './ip-protocol.js';
import { wireError, type WireError } from './parse-failure.js';

export const IPV6_HEADER_LENGTH = 40;
/** RFC 8200 §5: every link carries at least 1280-byte packets. */
export const IPV6_MIN_MTU = 1280;

export interface Ipv6ExtensionHeader {
  /** The Next Header value that announced it: 0, 43, 44, 60 or 51. */
  readonly type: number;
  /** Its position from the first byte of the IPv6 header (what an ICMPv6 Parameter Problem
   *  pointer counts, RFC 4443 §3.4). */
  readonly offset: number;
  /** The whole header, Next Header octet included (a view). */
  readonly bytes: Uint8Array;
  /** The header after its first two octets (Next Header and Hdr Ext Len / Reserved): the
   *  options, the routing data, or the fragment fields. */
  readonly body: Uint8Array;
}

/** The Fragment header's fields (RFC 8200 §4.5). */
export interface Ipv6Fragment {
  /** In units of 8 octets, as on the wire. */
  readonly fragmentOffset: number;
  /** The M flag: more fragments follow. */
  readonly moreFragments: boolean;
  readonly identification: number;
}

export interface Ipv6Header {
  readonly ok: true;
  readonly version: 6;
  readonly trafficClass: number;
  readonly flowLabel: number;
  /** Bytes after the fixed header, extension headers included. */
  readonly payloadLength: number;
  /** The fixed header's Next Header: the first extension header, or the upper layer. */
  readonly nextHeader: number;
  readonly hopLimit: number;
  /** Views into the packet: copy before keeping (see address.ts). */
  readonly src: Ipv6Address;
  readonly dst: Ipv6Address;
  /** The extension headers walked, in order (the same frozen empty array when there are none). */
  readonly extensionHeaders: readonly Ipv6ExtensionHeader[];
  /** The upper-layer protocol: the Next Header value where the walk stopped. */
  readonly protocol: number;
  /** The upper-layer bytes, a view bounded by Payload Length (link padding excluded). */
  readonly payload: Uint8Array;
  /** The Fragment header when there is one, atomic or not. */
  readonly fragment: Ipv6Fragment | undefined;
  /** A Fragment header with a non-zero offset or M set: a piece of a larger packet. */
  readonly isFragment: boolean;
}

export type Ipv6ParseResult = Ipv6Header | WireError;

const TRUNCATED = wireError('ipv6', 'truncated');
const BAD_VERSION = wireError('ipv6', 'bad-version');
const BAD_PAYLOAD_LENGTH = wireError('ipv6', 'bad-payload-length');
const BAD_EXTENSION_HEADER = wireError('ipv6', 'bad-extension-header');

const NO_EXTENSION_HEADERS: readonly Ipv6ExtensionHeader[] = Object.freeze([]);

/**
 * Parses the fixed header and walks the extension headers. Checks, in Linux's order
 * (`ipv6_rcv`, then the extension header handlers): version, Payload Length against the bytes
 * ('truncated', as Ip6InTruncatedPkts), then each extension header inside the payload
 * ('bad-extension-header').
 */
export function parseIpv6(bytes: Uint8Array): Ipv6ParseResult {
  if (bytes.length < IPV6_HEADER_LENGTH) return TRUNCATED;
  if (bytes[0] >>> 4 !== 6) return BAD_VERSION;
  const payloadLength = readU16(bytes, 4);
  const end = IPV6_HEADER_LENGTH + payloadLength;
  if (end > bytes.length) return TRUNCATED;
  const nextHeader = bytes[6];
  // RFC 2675: Payload Length 0 before a Hop-by-Hop header announces a jumbogram; no link tcplab
  // runs on carries one, and the real length would be in an option we do not read.
  if (payloadLength === 0 && nextHeader === IPPROTO_HOPOPTS) return BAD_PAYLOAD_LENGTH;

  let chain = NO_EXTENSION_HEADERS;
  let fragment: Ipv6Fragment | undefined;
  let isFragment = false;
  let type = nextHeader;
  let at = IPV6_HEADER_LENGTH;
  walk: for (;;) {
    let length: number;
    switch (type) {
      case IPPROTO_HOPOPTS:
      case IPPROTO_ROUTING:
      case IPPROTO_DSTOPTS:
        // RFC 8200 §4.1: Hop-by-Hop "is restricted to appear immediately after an IPv6 header".
        if (type === IPPROTO_HOPOPTS && at !== IPV6_HEADER_LENGTH) return BAD_EXTENSION_HEADER;
        // RFC 8200 §4.3-4.6: Hdr Ext Len is in 8-octet units, not counting the first 8 octets.
        if (at + 2 > end) return BAD_EXTENSION_HEADER;
        length = (bytes[at + 1] + 1) * 8;
        break;
      case IPPROTO_AH:
        // RFC 4302 §2.2: Payload Len is in 4-octet units, minus 2.
        if (at + 2 > end) return BAD_EXTENSION_HEADER;
        length = (bytes[at + 1] + 2) * 4;
        break;
      case IPPROTO_FRAGMENT: {
        // RFC 8200 §4.5: a fixed 8 octets.
        length = 8;
        if (at + length > end) return BAD_EXTENSION_HEADER;
        const offsetAndFlags = readU16(bytes, at + 2);
        fragment = {
          fragmentOffset: offsetAndFlags >>> 3,
          moreFragments: (offsetAndFlags & 1) !== 0,
          identification: readU32(bytes, at + 4),
        };
        isFragment = fragment.fragmentOffset !== 0 || fragment.moreFragments;
        break;
      }
      default:
        break walk;
    }
    if (at + length > end) return BAD_EXTENSION_HEADER;
    if (chain === NO_EXTENSION_HEADERS) chain = [];
    (chain as Ipv6ExtensionHeader[]).push({
      type,
      offset: at,
      bytes: bytes.subarray(at, at + length),
      body: bytes.subarray(at + 2, at + length),
    });
    type = bytes[at];
    at += length;
    if (isFragment) break; // the rest is a piece of the original packet, not headers
  }

  return {
    ok: true,
    version: 6,
    trafficClass: (readU16(bytes, 0) >>> 4) & 0xff,
    flowLabel: readU32(bytes, 0) & 0xfffff,
    payloadLength,
    nextHeader,
    hopLimit: bytes[7],
    src: bytes.subarray(8, 24),
    dst: bytes.subarray(24, 40),
    extensionHeaders: chain,
    protocol: type,
    payload: view(bytes, at, end),
    fragment,
    isFragment,
  };
}

/** The fixed header's fields. */
export interface Ipv6HeaderFields {
  readonly trafficClass?: number;
  readonly flowLabel?: number;
  readonly payloadLength: number;
  readonly nextHeader: number;
  /** Default 64, Linux's net.ipv6.conf.*.hop_limit. */
  readonly hopLimit?: number;
  readonly src: Ipv6Address;
  readonly dst: Ipv6Address;
}

/** Writes the 40-byte fixed header at `buf[offset]` and returns 40. Throws RangeError for
 *  fields that cannot be encoded. */
export function writeIpv6Header(buf: Uint8Array, offset: number, fields: Ipv6HeaderFields): number {
  if (fields.payloadLength < 0 || fields.payloadLength > 0xffff) {
    throw new RangeError(`IPv6 payload length ${fields.payloadLength} out of range`);
  }
  if (fields.src.length !== 16 || fields.dst.length !== 16) throw new RangeError('IPv6 addresses are 16 bytes');
  if (offset + IPV6_HEADER_LENGTH > buf.length) throw new RangeError('IPv6 header does not fit in the buffer');
  writeU32(buf, offset, (6 << 28) | (((fields.trafficClass ?? 0) & 0xff) << 20) | ((fields.flowLabel ?? 0) & 0xfffff));
  writeU16(buf, offset + 4, fields.payloadLength);
  buf[offset + 6] = fields.nextHeader;
  buf[offset + 7] = fields.hopLimit ?? 64;
  buf.set(fields.src, offset + 8);
  buf.set(fields.dst, offset + 24);
  return IPV6_HEADER_LENGTH;
}

/** An extension header to build: its type and everything after its first two octets (see
 *  {@link Ipv6ExtensionHeader.body}; `ipv6FragmentBody` and `encodeIpv6Options` make bodies). */
export interface Ipv6ExtensionHeaderFields {
  readonly type: number;
  readonly body: Uint8Array;
}

export interface Ipv6PacketFields {
  readonly trafficClass?: number;
  readonly flowLabel?: number;
  readonly hopLimit?: number;
  readonly src: Ipv6Address;
  readonly dst: Ipv6Address;
  /** The upper-layer protocol, announced by the last extension header (or the fixed header). */
  readonly protocol: number;
  readonly extensionHeaders?: readonly Ipv6ExtensionHeaderFields[];
}

/** The encoded length of an extension header with this body, checked against its length unit. */
function extensionHeaderLength(header: Ipv6ExtensionHeaderFields): number {
  const length = 2 + header.body.length;
  const unit = header.type === IPPROTO_AH ? 4 : 8;
  if (length % unit !== 0 || (header.type === IPPROTO_FRAGMENT && length !== 8)) {
    throw new RangeError(`IPv6 extension header ${header.type}: ${length} bytes is not a valid length`);
  }
  return length;
}

/**
 * A fresh IPv6 packet: fixed header, the extension headers in order with their Next Header and
 * length octets filled in, then `payload`. A parsed {@link Ipv6Header} with its `payload` gives
 * back the same bytes.
 */
export function buildIpv6Packet(fields: Ipv6PacketFields, payload: Uint8Array): Uint8Array {
  const extensions = fields.extensionHeaders ?? NO_EXTENSION_HEADERS;
  let extensionsLength = 0;
  for (const h of extensions) extensionsLength += extensionHeaderLength(h);
  const payloadLength = extensionsLength + payload.length;
  const out = new Uint8Array(IPV6_HEADER_LENGTH + payloadLength);
  writeIpv6Header(out, 0, {
    ...fields,
    payloadLength,
    nextHeader: extensions.length > 0 ? extensions[0].type : fields.protocol,
  });
  let at = IPV6_HEADER_LENGTH;
  for (let k = 0; k < extensions.length; k++) {
    const h = extensions[k];
    const length = extensionHeaderLength(h);
    out[at] = k + 1 < extensions.length ? extensions[k + 1].type : fields.protocol;
    // RFC 8200 §4.5: the Fragment header's second octet is Reserved; RFC 4302 §2.2 for AH.
    out[at + 1] = h.type === IPPROTO_FRAGMENT ? 0 : h.type === IPPROTO_AH ? length / 4 - 2 : length / 8 - 1;
    out.set(h.body, at + 2);
    at += length;
  }
  out.set(payload, at);
  return out;
}

/** The body (6 octets after Next Header and Reserved) of a Fragment header (RFC 8200 §4.5). */
export function ipv6FragmentBody(fragment: Ipv6Fragment): Uint8Array {
  const body = new Uint8Array(6);
  writeU16(body, 0, ((fragment.fragmentOffset & 0x1fff) << 3) | (fragment.moreFragments ? 1 : 0));
  writeU32(body, 2, fragment.identification);
  return body;
}
