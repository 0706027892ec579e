// Wraps a transport payload in the IP header of its family, as the stack sends it.
import type { IpAddress } from '../wire/address.js';
import { IPV4_DF, buildIpv4Packet } from '../wire/ipv4.js';
import { buildIpv6Packet } from '../wire/ipv6.js';

export interface IpOutputOptions {
  /** TTL / Hop Limit; default 64 (Linux's ip_default_ttl and hop_limit). */
  ttl?: number;
  /** IPv4 Identification. Linux gives DF packets a per-socket counter; 0 is valid too. */
  identification?: number;
}

/** A fresh IPv4 or IPv6 packet from `src` to `dst` (both of one family) carrying `payload`. */
export function ipPacket(src: IpAddress, dst: IpAddress, protocol: number, payload: Uint8Array, options: IpOutputOptions = {}): Uint8Array {
  if (typeof src === 'number') {
    if (typeof dst !== 'number') throw new TypeError('ipPacket: source and destination are of different families');
    // Linux sets DF on TCP and ICMP replies: path MTU discovery (RFC 1191) is on by default.
    return buildIpv4Packet({ src, dst, protocol, ttl: options.ttl, identification: options.identification, flags: IPV4_DF }, payload);
  }
  if (typeof dst === 'number') throw new TypeError('ipPacket: source and destination are of different families');
  return buildIpv6Packet({ src, dst, protocol, hopLimit: options.ttl }, payload);
}
