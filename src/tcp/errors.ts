/** The errors a connection ends with, as Node's `err.code` (DESIGN.md principle 5). */

export type TcpErrorCode = 'ECONNREFUSED' | 'ECONNRESET' | 'ETIMEDOUT' | 'EPIPE';

/** Result of a write that failed: the connection can no longer send. */
export interface TcpWriteError {
  readonly error: TcpErrorCode;
}
