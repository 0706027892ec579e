/**
 * The states of RFC 9293 §3.3.2 as a discriminated union, with the data that belongs to one
 * state kept on it (TIME-WAIT's deadline, SYN-RECEIVED's origin), not in flags on the connection.
 * LISTEN is a state of the listener in src/stack, never of a connection, but it is named here so
 * the socket table can use one type.
 */

export type TcpStateName =
  | 'CLOSED'
  | 'LISTEN'
  | 'SYN-SENT'
  | 'SYN-RECEIVED'
  | 'ESTABLISHED'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'CLOSE-WAIT'
  | 'CLOSING'
  | 'LAST-ACK'
  | 'TIME-WAIT';

export type TcpState =
  | { readonly name: 'CLOSED' }
  | { readonly name: 'SYN-SENT' }
  /** `passive`: reached from a SYN to a listener (else by simultaneous open from SYN-SENT). */
  | { readonly name: 'SYN-RECEIVED'; readonly passive: boolean }
  | { readonly name: 'ESTABLISHED' }
  | { readonly name: 'FIN-WAIT-1' }
  /** `orphanDeadline`: when an orphaned connection (closed by the application) gives up
   *  waiting for the peer's FIN (tcp_fin_timeout); undefined while the application may read. */
  | { readonly name: 'FIN-WAIT-2'; readonly orphanDeadline: number | undefined }
  | { readonly name: 'CLOSE-WAIT' }
  | { readonly name: 'CLOSING' }
  | { readonly name: 'LAST-ACK' }
  /** `enteredAt`, and `expiresAt` = last (re)start + 2 × msl. */
  | { readonly name: 'TIME-WAIT'; readonly enteredAt: number; readonly expiresAt: number };

/** RFC 9293 §3.3.2: the states after the handshake completed (SYN-RECEIVED included in the
 *  RFC's sense that both sequence spaces are known: used by RFC 5961's "synchronized"). */
export function isSynchronized(name: TcpStateName): boolean {
  return name !== 'CLOSED' && name !== 'LISTEN' && name !== 'SYN-SENT';
}

/** `ss` spells some states differently (DESIGN.md, `tcplab ss`). */
export function ssStateName(name: TcpStateName): string {
  switch (name) {
    case 'ESTABLISHED':
      return 'ESTAB';
    case 'SYN-RECEIVED':
      return 'SYN-RECV';
    case 'CLOSED':
      return 'UNCONN';
    default:
      return name;
  }
}
