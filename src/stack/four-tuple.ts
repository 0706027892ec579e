// The key that names a connection: local address and port, remote address and port.
import { ipKey, type IpAddress } from '../wire/address.js';

/** A string key for a 4-tuple: O(1) lookup in a Map, IPv4 and IPv6 never collide. */
export function fourTupleKey(localAddress: IpAddress, localPort: number, remoteAddress: IpAddress, remotePort: number): string {
  return `${ipKey(localAddress)}|${localPort}|${ipKey(remoteAddress)}|${remotePort}`;
}

/** The key of a listening port: a specific local address, or the wildcard (undefined). */
export function listenKey(localAddress: IpAddress | undefined, port: number, family: 4 | 6): string {
  return localAddress === undefined ? `*${family}|${port}` : `${ipKey(localAddress)}|${port}`;
}
