/**
 * The window we advertise (RFC 9293 §3.8.6.2.2, RFC 7323 §2.3) as Linux chooses it
 * (__tcp_select_window, tcp_select_initial_window).
 */

export interface WindowInput {
  /** Bytes the receive buffer can still take from RCV.NXT. */
  readonly space: number;
  /** The buffer's size. */
  readonly capacity: number;
  /** Linux rcv_ssthresh: the window grows from the initial one as data arrives. */
  readonly clamp: number;
  /** The MSS we expect from the peer. */
  readonly rcvMss: number;
  /** RCV.WND as last advertised, from RCV.NXT (its right edge must not move back). */
  readonly current: number;
  /** Our window scale shift. */
  readonly scale: number;
}

/**
 * The Window field to send (already scaled) and the window in bytes it stands for.
 * - Receiver SWS avoidance (RFC 9293 §3.8.6.2.2; Linux: `if (free_space < full_space / 2 &&
 *   free_space < mss) return 0`): a window below min(half the buffer, one MSS) is offered as 0.
 * - Never shrink: "the receiver SHOULD NOT shrink the window, i.e., move the right window edge
 *   to the left", so the window is at least what remains of the last offer.
 * - With scaling, rounded up to the scale's unit as Linux does (ALIGN), so a window is not
 *   scaled away, unless that would promise more than the buffer holds.
 */
export function selectWindow(w: WindowInput): { field: number; window: number } {
  let free = Math.min(w.space, w.clamp);
  if (free < Math.min(w.capacity / 2, w.rcvMss)) free = 0;
  const wnd = Math.max(free, w.current);
  const unit = 2 ** w.scale;
  let field = Math.ceil(wnd / unit);
  if (field * unit > Math.max(w.space, w.current)) field = Math.floor(wnd / unit);
  field = Math.min(field, 0xffff);
  return { field, window: field * unit };
}

/**
 * The window of a SYN or SYN-ACK, never scaled (RFC 7323 §2.2): Linux tcp_select_initial_window
 * takes the largest multiple of the MSS within 65535 and the buffer: 64240 for MSS 1460, and for
 * a SYN-ACK with timestamps 65160 = 45 × 1448.
 */
export function initialWindow(capacity: number, mss: number): number {
  const space = Math.min(65535, capacity);
  return mss > 0 ? Math.max(Math.min(mss, space), space - (space % mss)) : space;
}
