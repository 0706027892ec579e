/**
 * IANA "Assigned Internet Protocol Numbers": the IPv4 Protocol field and the IPv6 Next Header
 * field share this space (RFC 8200 §4). Names are the BSD socket API's (<netinet/in.h>), which
 * every tool that prints these numbers uses.
 */

/** IPv6 Hop-by-Hop Options header (RFC 8200 §4.3). */
export const IPPROTO_HOPOPTS = 0;
/** Internet Control Message Protocol (RFC 792). */
export const IPPROTO_ICMP = 1;
/** Transmission Control Protocol (RFC 9293). */
export const IPPROTO_TCP = 6;
/** User Datagram Protocol (RFC 768). */
export const IPPROTO_UDP = 17;
/** IPv6 Routing header (RFC 8200 §4.4). */
export const IPPROTO_ROUTING = 43;
/** IPv6 Fragment header (RFC 8200 §4.5). */
export const IPPROTO_FRAGMENT = 44;
/** Encapsulating Security Payload (RFC 4303). */
export const IPPROTO_ESP = 50;
/** Authentication Header (RFC 4302). */
export const IPPROTO_AH = 51;
/** ICMP for IPv6 (RFC 4443). */
export const IPPROTO_ICMPV6 = 58;
/** IPv6 No Next Header (RFC 8200 §4.7). */
export const IPPROTO_NONE = 59;
/** IPv6 Destination Options header (RFC 8200 §4.6). */
export const IPPROTO_DSTOPTS = 60;
