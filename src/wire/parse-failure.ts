/**
 * Why a parser refused its input. Parsers in `src/wire/` never throw: they return either
 * their record (with `ok: true`) or a {@link WireError} naming one of these reasons, so the
 * stack can count every dropped packet under a name (principle 5 of DESIGN.md).
 *
 * Each reason says which Linux counter it feeds, so the counters module can mirror `nstat`.
 */
export const PARSE_FAILURES = [
  /** Fewer bytes than the header needs, or a length field points past the bytes that arrived
   *  (Linux: IpInTruncatedPkts, Ip6InTruncatedPkts). */
  'truncated',
  /** The IP version nibble is neither 4 nor 6, or not the one the parser expects (IpInHdrErrors). */
  'bad-version',
  /** IPv4 IHL < 5 (RFC 791 §3.1), or the IHL reaches past the Total Length (IpInHdrErrors). */
  'bad-header-length',
  /** IPv4 Total Length smaller than the header (IpInHdrErrors). */
  'bad-total-length',
  /** IPv6 Payload Length 0 before a Hop-by-Hop header: a jumbogram (RFC 2675), which tcplab
   *  does not support (Ip6InHdrErrors). A Payload Length past the bytes is 'truncated'. */
  'bad-payload-length',
  /** A checksum does not verify: IPv4 header, TCP, UDP, ICMP or ICMPv6
   *  (IpInHdrErrors, TcpInCsumErrors, UdpInCsumErrors, IcmpInCsumErrors, Icmp6InCsumErrors). */
  'bad-checksum',
  /** An IPv4 or IPv6 fragment: tcplab does not reassemble yet, so the stack counts and drops it
   *  (Linux would count IpReasmReqds). Only {@link parsePacket} reports this; the IP parsers
   *  accept fragments and flag them with `isFragment`. */
  'fragment',
  /** The upper-layer protocol is not one tcplab speaks (IpInUnknownProtos, Ip6InUnknownProtos). */
  'unknown-protocol',
  /** TCP Data Offset < 5 or larger than the segment (RFC 9293 §3.1; TcpInErrs). */
  'bad-data-offset',
  /** UDP Length field < 8 or larger than the datagram (RFC 768; UdpInErrors). */
  'bad-length',
  /** An option's length octet is < 2 or runs past its header: IPv4 options (Linux drops the
   *  packet, IpInHdrErrors), IPv6 Hop-by-Hop / Destination options. TCP options never fail a
   *  segment: see `optionsMalformed` in tcp.ts. */
  'bad-option-length',
  /** An IPv6 extension header runs past the payload, or Hop-by-Hop is not first (RFC 8200 §4.1). */
  'bad-extension-header',
] as const;

export type ParseFailure = (typeof PARSE_FAILURES)[number];

/** Which parser refused the bytes. `ip` is {@link parsePacket} before the version is known. */
export const WIRE_LAYERS = ['ip', 'ipv4', 'ipv6', 'tcp', 'udp', 'icmpv4', 'icmpv6'] as const;

export type WireLayer = (typeof WIRE_LAYERS)[number];

/** The failure half of every parse result. Instances are shared and frozen: no allocation on the
 *  drop path, so a flood of bad packets costs no garbage. */
export interface WireError {
  readonly ok: false;
  readonly reason: ParseFailure;
  readonly layer: WireLayer;
}

/** Makes the frozen failure value a parser returns; call once per (layer, reason) at module load. */
export function wireError(layer: WireLayer, reason: ParseFailure): WireError {
  return Object.freeze({ ok: false, reason, layer });
}
