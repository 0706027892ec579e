/**
 * The window we advertise (RFC 9293 §3.8.6.2.2, RFC 7323 §2.3) as Linux chooses it
 * (tcp_select_window, __tcp_select_window, tcp_select_initial_window), and the two limits it
 * grows under: the window clamp (tp->window_clamp: the largest window this buffer will offer,
 * tcp_init_buffer_space, raised by receive-buffer auto-tuning) and rcv_ssthresh (the window
 * opens from the initial one as data arrives, tcp_grow_window).
 *
 * Linux measures its buffer (sk_rcvbuf) in memory, sk_buff overhead included, and converts it
 * to window bytes by the len/truesize ratio of what it received (tcp_win_from_space). tcplab's
 * buffer holds the data alone: its ratio is one, buffer and window are the same bytes. So
 * tcp_clamp_window, Linux's way out when queued sk_buffs overran sk_rcvbuf within the window it
 * offered, has nothing to do here: tcplab never offers more than its buffer holds.
 */
import { pow2 } from './pow2.js';

export interface WindowInput {
  /** tcp_space: bytes the receive buffer can still take from RCV.NXT. */
  readonly space: number;
  /** tcp_full_space: the buffer's size (sk_rcvbuf). */
  readonly capacity: number;
  /** tp->window_clamp. */
  readonly windowClamp: number;
  /** tp->rcv_ssthresh: the window grows from the initial one as data arrives. */
  readonly rcvSsthresh: number;
  /** The MSS we expect from the peer. */
  readonly rcvMss: number;
  /** RCV.WND as last advertised, from RCV.NXT (its right edge must not move back). */
  readonly current: number;
  /** The window last advertised, from the RCV.NXT of that ACK (tp->rcv_wnd). */
  readonly lastWindow: number;
  /** Our window scale shift. */
  readonly scale: number;
}

/**
 * __tcp_select_window: the window the buffer allows now, before the never-shrink rule.
 * - Below half the clamp (full_space) the window is rounded down to the scale's unit, and is 0
 *   when less than an MSS or less than 1/16 of the buffer is free: receiver SWS avoidance
 *   (RFC 9293 §3.8.6.2.2), and with a large buffer "the mss test triggers way too late".
 * - At most rcv_ssthresh.
 * - With scaling, rounded up to the unit ("so that it won't get scaled away"); without, a
 *   multiple of the MSS unless the last offer is within one MSS of the free space.
 */
export function linuxWindow(w: WindowInput): number {
  const unit = pow2(w.scale);
  const allowed = w.capacity;
  const full = Math.min(w.windowClamp, allowed);
  let mss = w.rcvMss;
  let free = w.space;
  if (mss > full) {
    mss = full;
    if (mss <= 0) return 0;
  }
  if (free < Math.floor(full / 2)) {
    free -= free % unit;
    if (free < Math.floor(allowed / 16) || free < mss) return 0;
  }
  if (free > w.rcvSsthresh) free = w.rcvSsthresh;
  if (w.scale > 0) return Math.ceil(free / unit) * unit;
  let window = w.lastWindow;
  if (window <= free - mss || window > free) window = free - (free % mss);
  else if (mss === full && free > window + Math.floor(full / 2)) window = free;
  return window;
}

/**
 * The Window field to send (already scaled) and the window in bytes it stands for
 * (tcp_select_window): {@link linuxWindow}, but never less than what remains of the last
 * offer (RFC 9293 §3.8.6.2.2: "the receiver SHOULD NOT shrink the window, i.e., move the right
 * window edge to the left"), at most 65535 << scale. Rounding up to the unit is undone when it
 * would promise more than the buffer holds: Linux has slack in its memory accounting, tcplab's
 * buffer has none.
 */
export function selectWindow(w: WindowInput): { field: number; window: number } {
  const wnd = Math.max(linuxWindow(w), w.current);
  const unit = pow2(w.scale);
  const limit = Math.max(w.space, w.current);
  let field = Math.ceil(wnd / unit);
  if (field * unit > limit) field = Math.floor(limit / unit);
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

/**
 * The window clamp once the options are agreed (tcp_select_initial_window: "no higher than max
 * representable value", 65535 << scale). Unset, it is that; SO_RCVBUF sets it to the buffer
 * first (tcp_connect_init, tcp_openreq_init_rwin: "limit the window selection if the user
 * enforce a smaller rx buffer").
 */
export function negotiatedWindowClamp(scale: number, capacity: number, locked: boolean): number {
  const max = 0xffff * pow2(scale);
  return locked ? Math.min(max, capacity) : max;
}

/**
 * tcp_init_buffer_space, at establishment: the clamp no larger than the buffer, less
 * 1/2^tcp_app_win of it for the application (never below 4 segments), and "force reservation
 * of one segment" (with the default tcp_app_win 31 that is all that is kept back: 129624 of
 * 131072 at advmss 1448). rcv_ssthresh follows it down.
 */
export function initBufferSpace(
  w: { readonly windowClamp: number; readonly capacity: number; readonly advmss: number; readonly appWin: number; readonly rcvSsthresh: number },
): { windowClamp: number; rcvSsthresh: number } {
  const maxwin = w.capacity;
  const advmss = w.advmss;
  let clamp = w.windowClamp;
  if (clamp >= maxwin) {
    clamp = maxwin;
    if (w.appWin > 0 && maxwin > 4 * advmss) clamp = Math.max(maxwin - Math.floor(maxwin / 2 ** w.appWin), 4 * advmss);
  }
  if (w.appWin > 0 && clamp > 2 * advmss && clamp + advmss > maxwin) clamp = Math.max(2 * advmss, maxwin - advmss);
  return { windowClamp: clamp, rcvSsthresh: Math.min(w.rcvSsthresh, clamp) };
}

/**
 * tcp_grow_window, for a segment of `len` bytes just queued (in order, at least 128 bytes; or out
 * of order with SACK): rcv_ssthresh grows by max(2 × advmss, 2 × len) within the room left under
 * the clamp and the free buffer. (Linux grows less for a segment whose sk_buff wastes memory;
 * tcplab's segments waste none.)
 */
export function growRcvSsthresh(rcvSsthresh: number, w: { readonly windowClamp: number; readonly free: number; readonly advmss: number; readonly len: number }): number {
  const room = Math.min(w.windowClamp, w.free) - rcvSsthresh;
  if (room <= 0) return rcvSsthresh;
  return rcvSsthresh + Math.min(room, Math.max(2 * w.advmss, 2 * w.len));
}
