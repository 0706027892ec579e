/** The errors a connection ends with, as Node's `err.code` (DESIGN.md principle 5). */

/**
 * ECONNREFUSED, ECONNRESET, ETIMEDOUT and EPIPE come from TCP itself; the others from ICMP errors
 * (Linux icmp_err_convert and icmpv6_err_convert): at once during the handshake, or in place of
 * ETIMEDOUT when a connection that got one times out (sk_err_soft, tcp_write_err).
 */
export type TcpErrorCode =
  | 'ECONNREFUSED'
  | 'ECONNRESET'
  | 'ETIMEDOUT'
  | 'EPIPE'
  | 'ENETUNREACH'
  | 'EHOSTUNREACH'
  | 'EHOSTDOWN'
  | 'ENONET'
  | 'ENOPROTOOPT'
  | 'EOPNOTSUPP'
  | 'EACCES'
  | 'EPROTO'
  | 'EMSGSIZE';

/** Result of a write that failed: the connection can no longer send. */
export interface TcpWriteError {
  readonly error: TcpErrorCode;
}
