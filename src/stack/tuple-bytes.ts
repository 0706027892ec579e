// The bytes Linux feeds its keyed hashes for a connection's addresses and ports
// (net/core/secure_seq.c, net/ipv4/syncookies.c), laid out as a little-endian kernel lays them
// out in memory, so that the same key gives the same numbers as Linux would.
import type { IpAddress } from '../wire/address.js';

/** One scratch buffer for every hash input: the largest is IPv6's 16 + 16 + 4 + 4 bytes. */
export const tupleScratch = new Uint8Array(40);

/** Writes an address at `offset` in network order (IPv4: 4 bytes, IPv6: 16); returns the end. */
export function putAddress(out: Uint8Array, offset: number, address: IpAddress): number {
  if (typeof address === 'number') {
    out[offset] = address >>> 24;
    out[offset + 1] = address >>> 16;
    out[offset + 2] = address >>> 8;
    out[offset + 3] = address;
    return offset + 4;
  }
  out.set(address, offset);
  return offset + 16;
}

/** Writes a 16-bit port in network order at `offset`; returns the end. */
export function putPort(out: Uint8Array, offset: number, port: number): number {
  out[offset] = port >>> 8;
  out[offset + 1] = port;
  return offset + 2;
}

/** Writes a 32-bit host-order number as a little-endian kernel stores a u32; returns the end. */
export function putU32Le(out: Uint8Array, offset: number, value: number): number {
  out[offset] = value;
  out[offset + 1] = value >>> 8;
  out[offset + 2] = value >>> 16;
  out[offset + 3] = value >>> 24;
  return offset + 4;
}

/**
 * The 4-tuple as secure_tcp_seq / secure_tcpv6_seq hash it. IPv4: siphash_3u32(saddr, daddr,
 * sport << 16 | dport), whose third word, stored little-endian from two big-endian ports, reads
 * as the bytes dport, sport; IPv6: the struct { saddr, daddr, sport, dport }. Returns the length.
 */
export function putFourTuple(out: Uint8Array, localAddress: IpAddress, localPort: number, remoteAddress: IpAddress, remotePort: number): number {
  let n = putAddress(out, 0, localAddress);
  n = putAddress(out, n, remoteAddress);
  if (typeof localAddress === 'number') {
    n = putPort(out, n, remotePort);
    return putPort(out, n, localPort);
  }
  n = putPort(out, n, localPort);
  return putPort(out, n, remotePort);
}
