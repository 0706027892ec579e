/**
 * The timers of one connection, as deadlines (ms): nothing here runs by itself. The stack polls
 * the connection at {@link ConnectionTimers.next}; the connection fires what is due. TIME-WAIT's
 * and FIN-WAIT-2's deadlines live on those states (state.ts).
 */
export class ConnectionTimers {
  /** Retransmission: SYN, SYN-ACK, data and FIN (Linux ICSK_TIME_RETRANS). */
  rtx: number | undefined;
  /** Zero-window probes (ICSK_TIME_PROBE0). */
  persist: number | undefined;
  /** Delayed ACK (ICSK_TIME_DACK). */
  delack: number | undefined;
  /** SO_KEEPALIVE. */
  keepalive: number | undefined;
  /** RACK's reordering timer (RFC 8985 §6.3, Linux ICSK_TIME_REO_TIMEOUT). */
  reorder: number | undefined;

  /** The earliest deadline among these and the two extra ones (the state's). Asked after every
   *  segment: written without arrays, which allocated on each call. */
  next(extra1?: number, extra2?: number): number | undefined {
    return earliest(earliest(earliest(this.rtx, this.persist), earliest(this.delack, this.keepalive)), earliest(this.reorder, earliest(extra1, extra2)));
  }

  /** RFC 9293 §3.10.7.4 (TIME-WAIT): "turn off the other timers"; and CLOSED. */
  stopAll(): void {
    this.rtx = undefined;
    this.persist = undefined;
    this.delack = undefined;
    this.keepalive = undefined;
    this.reorder = undefined;
  }
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined || a <= b ? a : b;
}
