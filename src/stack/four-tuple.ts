// The key that names a connection: local address and port, remote address and port.
import { ipKey, type IpAddress } from '../wire/address.js';

/**
 * A string key for a 4-tuple: O(1) lookup in a Map. Every 16 bits one UTF-16 code unit, so the
 * key is one short flat string (made for every packet received; decimal numbers joined by
 * separators cost several strings each time): 6 units for IPv4, 18 for IPv6, which never collide.
 */
export function fourTupleKey(localAddress: IpAddress, localPort: number, remoteAddress: IpAddress, remotePort: number): string {
  if (typeof localAddress === 'number' && typeof remoteAddress === 'number') {
    return String.fromCharCode(localAddress >>> 16, localAddress & 0xffff, localPort, remoteAddress >>> 16, remoteAddress & 0xffff, remotePort);
  }
  return `${ipKey(localAddress)}${String.fromCharCode(localPort)}${ipKey(remoteAddress)}${String.fromCharCode(remotePort)}`;
}

/** The key of a listening port: a specific local address, or the wildcard (undefined). */
export function listenKey(localAddress: IpAddress | undefined, port: number, family: 4 | 6): string {
  return localAddress === undefined ? `*${family}|${port}` : `${ipKey(localAddress)}|${port}`;
}
