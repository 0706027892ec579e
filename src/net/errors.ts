// Errors shaped like Node's own: `err.code`, `errno`, `syscall`, `address`, `port`, and a
// message that says what happened and what to do.
import { constants } from 'node:os';

const ERRNO = constants.errno as Record<string, number>;

/** Like the error net.Socket emits, e.g. `connect ECONNREFUSED 10.0.0.2:80`. */
export function systemError(code: string, syscall: string, address?: string, port?: number, hint?: string): NodeJS.ErrnoException & { address?: string; port?: number } {
  const where = address === undefined ? '' : port === undefined ? ` ${address}` : ` ${address.includes(':') ? `[${address}]` : address}:${port}`;
  const err = new Error(`${syscall} ${code}${where}${hint ? ` (${hint})` : ''}`) as NodeJS.ErrnoException & { address?: string; port?: number };
  err.code = code;
  err.errno = ERRNO[code] === undefined ? undefined : -ERRNO[code];
  err.syscall = syscall;
  if (address !== undefined) err.address = address;
  if (port !== undefined) err.port = port;
  return err;
}

/** What each connection failure means for the user, in a few words. */
export const HINTS: Record<string, string> = {
  ECONNREFUSED: 'nothing listens there: the peer answered the SYN with RST',
  ECONNRESET: 'the peer reset the connection',
  ETIMEDOUT: 'the peer stopped answering: retransmissions gave up',
  EPIPE: 'the connection cannot send any more: it was shut down or reset',
  // From ICMP errors: at once during connect, or instead of ETIMEDOUT when the retransmissions
  // give up after one (Linux sk_err_soft).
  ENETUNREACH: 'an ICMP error said the network is unreachable',
  EHOSTUNREACH: 'an ICMP error said the host is unreachable (or the time to live of our packets ran out)',
  EHOSTDOWN: 'an ICMP error said the host is unknown',
  ENONET: 'an ICMP error said the host is isolated',
  ENOPROTOOPT: 'an ICMP error said the host does not speak TCP (protocol unreachable)',
  EOPNOTSUPP: 'an ICMP error said source routing failed',
  EACCES: 'an ICMPv6 error said the destination is administratively prohibited',
  EPROTO: 'an ICMP parameter problem: a router rejected a header field',
  EMSGSIZE: 'an ICMP error said the packets are too big for the path',
};

/** A TypeError/RangeError with Node's ERR_* code, for API misuse. */
export function argumentError(kind: 'type' | 'value' | 'range', message: string): Error {
  const err = kind === 'range' ? new RangeError(message) : new TypeError(message);
  (err as NodeJS.ErrnoException).code = kind === 'type' ? 'ERR_INVALID_ARG_TYPE' : kind === 'range' ? 'ERR_SOCKET_BAD_PORT' : 'ERR_INVALID_ARG_VALUE';
  return err;
}
