/**
 * One-line descriptions of packets in the words of `tcpdump -n -S -t` (numeric addresses, absolute
 * sequence numbers, no timestamp), so that what tcplab prints can be compared line by line with a
 * capture of the same traffic. Written after tcpdump 4.99's print-tcp.c, print-icmp.c,
 * print-icmp6.c and print-ip6.c, and checked against its output. Differences: tcpdump's guesses
 * at application protocols (`: HTTP` after port 8080 data) are not made, and the rarer ICMP types
 * and TCP options that tcpdump decodes in detail (timestamp requests, MLD queries, md5, mptcp,
 * tfo) are printed by name, or generically.
 * For display only: it builds strings, so it stays off the per-packet path.
 */

import { formatIpAddress } from './address.js';
import { readU16, readU32 } from './bytes.js';
import {
  ICMP_DEST_UNREACHABLE,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_FRAGMENTATION_NEEDED,
  ICMP_PORT_UNREACHABLE,
  ICMP_PROTOCOL_UNREACHABLE,
  ICMP_TIME_EXCEEDED,
  parseIcmpv4,
  type Icmpv4Message,
} from './icmpv4.js';
import {
  ICMPV6_ADDRESS_UNREACHABLE,
  ICMPV6_ADMINISTRATIVELY_PROHIBITED,
  ICMPV6_BEYOND_SCOPE,
  ICMPV6_DEST_UNREACHABLE,
  ICMPV6_ECHO_REPLY,
  ICMPV6_ECHO_REQUEST,
  ICMPV6_MLDV2_REPORT,
  ICMPV6_NEIGHBOR_ADVERTISEMENT,
  ICMPV6_NEIGHBOR_SOLICITATION,
  ICMPV6_NO_ROUTE,
  ICMPV6_PACKET_TOO_BIG,
  ICMPV6_PORT_UNREACHABLE,
  ICMPV6_TIME_EXCEEDED,
  parseIcmpv6,
  type Icmpv6Message,
} from './icmpv6.js';
import { parseInvokingPacket } from './invoking-packet.js';
import {
  IPPROTO_AH,
  IPPROTO_DSTOPTS,
  IPPROTO_FRAGMENT,
  IPPROTO_HOPOPTS,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_ROUTING,
  IPPROTO_TCP,
  IPPROTO_UDP,
} from './ip-protocol.js';
import type { IpHeader, Packet, PacketParseResult, TransportHeader } from './packet.js';
import { parseTcp, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, TCP_URG, type TcpSegment } from './tcp.js';
import { parseUdp } from './udp.js';

/** tcpdump's flag letters, in its order: F S R P . U E W (`tcp_flag_values`). */
const FLAG_LETTERS: readonly [number, string][] = [
  [0x01, 'F'], [0x02, 'S'], [0x04, 'R'], [0x08, 'P'], [0x10, '.'], [0x20, 'U'], [0x40, 'E'], [0x80, 'W'],
];

/** `S`, `S.`, `P.`, `F.`, `R`, `.`; `none` when no bit is set. */
export function formatTcpFlags(flags: number): string {
  let text = '';
  for (const [bit, letter] of FLAG_LETTERS) if (flags & bit) text += letter;
  return text === '' ? 'none' : text;
}

/** tcpdump's option names (`tcp_option_values`); others print as `unknown-<kind>`. */
const OPTION_NAMES: Readonly<Record<number, string>> = {
  0: 'eol', 1: 'nop', 2: 'mss', 3: 'wscale', 4: 'sackOK', 5: 'sack', 6: 'echo', 7: 'echoreply', 8: 'TS',
  11: 'cc', 12: 'ccnew', 13: '', 19: 'md5', 20: 'scps', 28: 'uto', 29: 'tcp-ao', 30: 'mptcp', 34: 'tfo', 254: 'exp',
};

/**
 * The option list as tcpdump prints it, from the raw option bytes: `mss 1460,sackOK,TS val 1 ecr
 * 0,nop,wscale 7`. Follows tcpdump's loop, including `[len N]` for a length that disagrees with
 * the kind and `[bad opt]` where it gives up. Kinds tcpdump decodes specially (md5, mptcp, tfo
 * and the like) are shown in its generic form, the name and the data in hex.
 */
export function formatTcpOptions(raw: Uint8Array): { text: string; bad: boolean } {
  let text = '';
  let remaining = raw.length;
  let at = 0;
  while (remaining > 0) {
    if (at > 0) text += ',';
    const kind = raw[at++];
    let length = 1;
    if (kind !== 0 && kind !== 1) {
      if (remaining < 2) return { text: text + '[bad opt]', bad: true };
      length = raw[at++];
      if (length < 2 || length > remaining) return { text: text + '[bad opt]', bad: true };
      remaining--;
    }
    remaining--;
    text += OPTION_NAMES[kind] ?? `unknown-${kind}`;
    let dataLength = 0;
    const fits = (n: number): boolean => n <= remaining;
    switch (kind) {
      case 0:
      case 1:
      case 4:
        break;
      case 2:
        dataLength = 2;
        if (!fits(dataLength)) return { text: text + '[bad opt]', bad: true };
        text += ` ${readU16(raw, at)}`;
        break;
      case 3:
        dataLength = 1;
        if (!fits(dataLength)) return { text: text + '[bad opt]', bad: true };
        text += ` ${raw[at]}`;
        break;
      case 5:
        dataLength = length - 2;
        if (dataLength % 8 !== 0) {
          text += ' invalid sack';
        } else {
          text += ` ${dataLength / 8} `;
          for (let i = 0; i < dataLength; i += 8) {
            if (!fits(i + 8)) return { text: text + '[bad opt]', bad: true };
            text += `{${readU32(raw, at + i)}:${readU32(raw, at + i + 4)}}`;
          }
        }
        break;
      case 6:
      case 7:
      case 11:
      case 12:
      case 13:
        dataLength = 4;
        if (!fits(dataLength)) return { text: text + '[bad opt]', bad: true };
        text += ` ${readU32(raw, at)}`;
        break;
      case 8:
        dataLength = 8;
        if (!fits(dataLength)) return { text: text + '[bad opt]', bad: true };
        text += ` val ${readU32(raw, at)} ecr ${readU32(raw, at + 4)}`;
        break;
      default:
        dataLength = length - 2;
        if (dataLength > 0) text += ' 0x';
        for (let i = 0; i < dataLength; i++) text += raw[at + i].toString(16).padStart(2, '0');
        break;
    }
    at += dataLength;
    remaining -= dataLength;
    const expected = dataLength + (kind === 0 || kind === 1 ? 1 : 2);
    if (expected !== length) text += `[len ${length}]`;
    if (kind === 0) break;
  }
  return { text, bad: false };
}

/**
 * A TCP segment as tcpdump prints it after the addresses: `Flags [S], seq 123, win 64240,
 * options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0`. Data segments show
 * `seq first:next`.
 */
export function formatTcpSegment(seg: TcpSegment): string {
  const length = seg.payload.length;
  let text = `Flags [${formatTcpFlags(seg.flags)}]`;
  if (length > 0 || seg.flags & (TCP_SYN | TCP_FIN | TCP_RST)) {
    text += `, seq ${seg.seq}`;
    if (length > 0) text += `:${(seg.seq + length) >>> 0}`;
  }
  if (seg.flags & TCP_ACK) text += `, ack ${seg.ack}`;
  text += `, win ${seg.window}`;
  if (seg.flags & TCP_URG) text += `, urg ${seg.urgentPointer}`;
  if (seg.options.length > 0) {
    const options = formatTcpOptions(seg.options);
    text += `, options [${options.text}`;
    if (options.bad) return text + ']';
    text += ']';
  }
  return `${text}, length ${length}`;
}

function transportName(protocol: number): string {
  return protocol === IPPROTO_TCP ? 'tcp' : protocol === IPPROTO_UDP ? 'udp' : `ip-proto-${protocol}`;
}

/** tcpdump's `unreach2str`: Destination Unreachable codes other than 2, 3 and 4. */
const UNREACHABLE_TEXT: Readonly<Record<number, (host: string) => string>> = {
  0: (h) => `net ${h} unreachable`,
  1: (h) => `host ${h} unreachable`,
  5: (h) => `${h} unreachable - source route failed`,
  6: (h) => `net ${h} unreachable - unknown`,
  7: (h) => `host ${h} unreachable - unknown`,
  8: (h) => `${h} unreachable - source host isolated`,
  9: (h) => `net ${h} unreachable - admin prohibited`,
  10: (h) => `host ${h} unreachable - admin prohibited`,
  11: (h) => `net ${h} unreachable - tos prohibited`,
  12: (h) => `host ${h} unreachable - tos prohibited`,
  13: (h) => `host ${h} unreachable - admin prohibited filter`,
  14: (h) => `host ${h} unreachable - host precedence violation`,
  15: (h) => `host ${h} unreachable - precedence cutoff`,
};

function formatIcmpv4(m: Icmpv4Message): string {
  let text: string;
  if (m.type === ICMP_ECHO_REQUEST || m.type === ICMP_ECHO_REPLY) {
    text = `echo ${m.type === ICMP_ECHO_REQUEST ? 'request' : 'reply'}, id ${m.identifier}, seq ${m.sequenceNumber}`;
  } else if (m.type === ICMP_DEST_UNREACHABLE) {
    const quoted = parseInvokingPacket(m.body, 4);
    if (!quoted.ok) return `ICMP [${quoted.reason} quote], length ${m.body.length + 8}`;
    const dst = formatIpAddress(quoted.dst);
    if (m.code === ICMP_PROTOCOL_UNREACHABLE) text = `${dst} protocol ${quoted.protocol} unreachable`;
    else if (m.code === ICMP_PORT_UNREACHABLE) text = `${dst} ${transportName(quoted.protocol)} port ${quoted.dstPort} unreachable`;
    else if (m.code === ICMP_FRAGMENTATION_NEEDED) {
      text = m.nextHopMtu ? `${dst} unreachable - need to frag (mtu ${m.nextHopMtu})` : `${dst} unreachable - need to frag`;
    } else text = UNREACHABLE_TEXT[m.code]?.(dst) ?? `${dst} unreachable - #${m.code}`;
  } else if (m.type === ICMP_TIME_EXCEEDED) {
    text = m.code === 0 ? 'time exceeded in-transit' : m.code === 1 ? 'ip reassembly time exceeded' : `time exceeded-#${m.code}`;
  } else {
    text = `type-#${m.type}`;
  }
  return `ICMP ${text}, length ${m.body.length + 8}`;
}

function formatIcmpv6(m: Icmpv6Message): string {
  const length = `, length ${m.body.length + 8}`;
  switch (m.type) {
    case ICMPV6_ECHO_REQUEST:
    case ICMPV6_ECHO_REPLY:
      return `ICMP6, echo ${m.type === ICMPV6_ECHO_REQUEST ? 'request' : 'reply'}, id ${m.identifier}, seq ${m.sequenceNumber}${length}`;
    case ICMPV6_DEST_UNREACHABLE: {
      const quoted = parseInvokingPacket(m.body, 6);
      if (!quoted.ok) return `ICMP6, destination unreachable, [${quoted.reason} quote]${length}`;
      const dst = formatIpAddress(quoted.dst);
      switch (m.code) {
        case ICMPV6_NO_ROUTE: return `ICMP6, destination unreachable, unreachable route ${dst}${length}`;
        // Two spaces: tcpdump prints it so.
        case ICMPV6_ADMINISTRATIVELY_PROHIBITED: return `ICMP6, destination unreachable,  unreachable prohibited ${dst}${length}`;
        case ICMPV6_BEYOND_SCOPE:
          return `ICMP6, destination unreachable, beyond scope ${dst}, source address ${formatIpAddress(quoted.src)}${length}`;
        case ICMPV6_ADDRESS_UNREACHABLE: return `ICMP6, destination unreachable, unreachable address ${dst}${length}`;
        case ICMPV6_PORT_UNREACHABLE:
          return `ICMP6, destination unreachable, unreachable port, ${dst} ${transportName(quoted.protocol)} port ${quoted.dstPort}${length}`;
        default: return `ICMP6, destination unreachable, unknown unreach code (${m.code})`;
      }
    }
    case ICMPV6_PACKET_TOO_BIG:
      return `ICMP6, packet too big, mtu ${m.mtu}${length}`;
    case ICMPV6_TIME_EXCEEDED: {
      if (m.code === 1) return `ICMP6, time exceeded in-transit (reassembly)${length}`;
      const quoted = parseInvokingPacket(m.body, 6);
      const dst = quoted.ok ? formatIpAddress(quoted.dst) : '?';
      return m.code === 0 ? `ICMP6, time exceeded in-transit for ${dst}${length}` : `ICMP6, time exceeded, unknown code (${m.code})${length}`;
    }
    case ICMPV6_NEIGHBOR_SOLICITATION:
    case ICMPV6_NEIGHBOR_ADVERTISEMENT:
      if (m.body.length >= 16) {
        const target = formatIpAddress(m.body.subarray(0, 16));
        return m.type === ICMPV6_NEIGHBOR_SOLICITATION
          ? `ICMP6, neighbor solicitation, who has ${target}${length}`
          : `ICMP6, neighbor advertisement, tgt is ${target}${length}`;
      }
      break;
    case ICMPV6_MLDV2_REPORT:
      // RFC 3810 §5.2: the low half of the rest of header counts the address records.
      return `ICMP6, multicast listener report v2, ${m.rest & 0xffff} group record(s)${length}`;
  }
  const name = ICMPV6_TYPE_NAMES[m.type];
  return name === undefined ? `ICMP6, type-#${m.type}${length}` : `ICMP6, ${name}${length}`;
}

/** tcpdump's `icmp6_type_values` for types printed here by name only (tcpdump adds details). */
const ICMPV6_TYPE_NAMES: Readonly<Record<number, string>> = {
  4: 'parameter problem',
  130: 'multicast listener query',
  131: 'multicast listener report',
  132: 'multicast listener done',
  133: 'router solicitation',
  134: 'router advertisement',
  135: 'neighbor solicitation',
  136: 'neighbor advertisement',
  137: 'redirect',
};

/**
 * What tcpdump prints for the IPv6 extension headers before the upper layer (print-ip6.c,
 * without -v): `HBH `, `DSTOPT `, `frag (offset|length) `, `srcrt `, `AH `.
 */
function extensionHeaderText(ip: IpHeader): string {
  if (ip.version === 4) return '';
  let text = '';
  for (const h of ip.extensionHeaders) {
    if (h.type === IPPROTO_HOPOPTS) text += 'HBH ';
    else if (h.type === IPPROTO_DSTOPTS) text += 'DSTOPT ';
    else if (h.type === IPPROTO_ROUTING) text += 'srcrt ';
    else if (h.type === IPPROTO_AH) text += 'AH ';
    else if (h.type === IPPROTO_FRAGMENT) {
      const offset = (readU16(h.bytes, 2) >>> 3) * 8;
      text += `frag (${offset}|${ip.payloadLength - (h.offset + h.bytes.length - 40)}) `;
    }
  }
  return text;
}

function ipPrefix(ip: IpHeader): string {
  return ip.version === 4 ? 'IP' : 'IP6';
}

/** The transport line of a packet whose addresses and extension headers are already known. */
function formatWithTransport(ip: IpHeader, l4: TransportHeader): string {
  const src = formatIpAddress(ip.src);
  const dst = formatIpAddress(ip.dst);
  const extensions = extensionHeaderText(ip);
  const head = `${ipPrefix(ip)} ${src} > ${dst}: ${extensions}`;
  // Behind extension headers tcpdump prints the ports alone, the addresses being on the left.
  const ports = (srcPort: number, dstPort: number): string =>
    extensions === '' ? `${ipPrefix(ip)} ${src}.${srcPort} > ${dst}.${dstPort}: ` : `${head}${srcPort} > ${dstPort}: `;
  switch (l4.protocol) {
    case IPPROTO_TCP:
      return ports(l4.srcPort, l4.dstPort) + formatTcpSegment(l4);
    case IPPROTO_UDP:
      return `${ports(l4.srcPort, l4.dstPort)}UDP, length ${l4.payload.length}`;
    case IPPROTO_ICMP:
      return head + formatIcmpv4(l4);
    case IPPROTO_ICMPV6:
      return head + formatIcmpv6(l4);
  }
}

/**
 * A fragment as tcpdump shows it: the first one decoded as far as its bytes go (no checksum can
 * be checked), the others as `ip-proto-N` (IPv4) or just their Fragment header (IPv6).
 */
function formatFragment(ip: IpHeader): string {
  const offset = ip.version === 4 ? ip.fragmentOffset : (ip.fragment?.fragmentOffset ?? 0);
  const head = `${ipPrefix(ip)} ${formatIpAddress(ip.src)} > ${formatIpAddress(ip.dst)}: ${extensionHeaderText(ip)}`;
  const undecoded = ip.version === 4 ? `${head}ip-proto-${ip.protocol}` : head.trimEnd();
  if (offset !== 0) return undecoded;
  let l4: TransportHeader | undefined;
  const parsed =
    ip.protocol === IPPROTO_TCP ? parseTcp(ip.payload)
    : ip.protocol === IPPROTO_UDP ? parseUdp(ip.payload)
    : ip.protocol === IPPROTO_ICMP && ip.version === 4 ? parseIcmpv4(ip.payload)
    : ip.protocol === IPPROTO_ICMPV6 && ip.version === 6 ? parseIcmpv6(ip.payload)
    : undefined;
  if (parsed?.ok) l4 = parsed;
  return l4 === undefined ? undecoded : formatWithTransport(ip, l4);
}

/**
 * A whole packet as one tcpdump line: `IP 10.0.0.1.45678 > 10.0.0.2.8080: Flags [S], ...`,
 * `IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 7, seq 1, length 64`, `IP6 fd00::1.53 >
 * fd00::2.53: UDP, length 20`. Fragments print as tcpdump prints them; another refused packet
 * prints as its addresses (when the IP layer parsed) and the layer and reason in brackets.
 */
export function formatPacket(packet: Packet | PacketParseResult): string {
  if (packet.ok) return formatWithTransport(packet.ip, packet.l4);
  const ip = packet.ip;
  if (ip === undefined) return `[${packet.layer} ${packet.reason}]`;
  if (packet.reason === 'fragment') return formatFragment(ip);
  return `${ipPrefix(ip)} ${formatIpAddress(ip.src)} > ${formatIpAddress(ip.dst)}: [${packet.layer} ${packet.reason}]`;
}
