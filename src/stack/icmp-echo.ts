// The ICMP echo responder: answers `ping` and `ping -6` on the stack's own addresses.
import { IPPROTO_ICMP, IPPROTO_ICMPV6 } from '../wire/ip-protocol.js';
import { ICMP_ECHO_REQUEST, buildIcmpv4EchoReply, type Icmpv4Message } from '../wire/icmpv4.js';
import { ICMPV6_ECHO_REQUEST, buildIcmpv6EchoReply, type Icmpv6Message } from '../wire/icmpv6.js';
import type { IpHeader } from '../wire/packet.js';
import { ipPacket } from './ip-output.js';

/**
 * The Echo Reply to an Echo Request, or undefined when the message is not a request.
 * RFC 792 (Echo): "the source and destination addresses are simply reversed, the type code
 * changed to 0, and the checksum recomputed"; identifier, sequence number and data are
 * returned unchanged. RFC 4443 §4.2 says the same for ICMPv6 (type 129).
 */
export function echoReply(ip: IpHeader, message: Icmpv4Message | Icmpv6Message): Uint8Array | undefined {
  if (ip.version === 4) {
    if (message.protocol !== IPPROTO_ICMP || message.type !== ICMP_ECHO_REQUEST || message.code !== 0) return undefined;
    const icmp = buildIcmpv4EchoReply(message.identifier, message.sequenceNumber, message.body);
    return ipPacket(ip.dst, ip.src, IPPROTO_ICMP, icmp);
  }
  if (message.protocol !== IPPROTO_ICMPV6 || message.type !== ICMPV6_ECHO_REQUEST || message.code !== 0) return undefined;
  const icmp = buildIcmpv6EchoReply(message.identifier, message.sequenceNumber, message.body, ip.dst, ip.src);
  return ipPacket(ip.dst, ip.src, IPPROTO_ICMPV6, icmp);
}
