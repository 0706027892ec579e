// The two halves of a handshake through a SYN cookie (RFC 4987 §3.6), as Linux does them: the
// SYN-ACK that tcp_conn_request sends without keeping a request (want_cookie), and the SYN that
// cookie_v4_check rebuilds from the final ACK, so the engine can start from it as from any SYN.
// The cookie itself (the ISN) and the options in the timestamp are syn-cookies.ts's.
import { seqAdd } from '../wire/seq.js';
import { TCP_ACK, TCP_SYN, type TcpSegment } from '../wire/tcp.js';
import { linuxSynOptions } from '../wire/tcp-options.js';
import { initialRcvbuf, type TcpConfig } from '../tcp/config.js';
import type { IncomingSegment } from '../tcp/connection.js';
import { negotiate, TS_OPTION_SPACE } from '../tcp/negotiation.js';
import type { OutgoingSegment } from '../tcp/outgoing-segment.js';
import { initialWindow } from '../tcp/receive-window.js';
import { cookieInitTimestamp, cookieTimestampDecode, type CookieOptions } from './syn-cookies.js';

const EMPTY = new Uint8Array(0);

export interface CookieSynAckInput {
  readonly syn: TcpSegment;
  /** The cookie: ISS of the connection to be. */
  readonly iss: number;
  /** Our MSS (MTU − 40 or − 60). */
  readonly mss: number;
  /** The stack clock in ms (the connection's TSval clock before its offset). */
  readonly tsClock: number;
  /** The connection's timestamp offset (RFC 7323 §5.4), the same it will have once made. */
  readonly tsOffset: number;
  readonly config: TcpConfig;
}

/**
 * The SYN-ACK answering `syn` with a cookie, the same segment the engine would send for it
 * (window, options in Linux's order) but for two things Linux does with cookies: without a
 * timestamp in the SYN the SYN-ACK offers no window scale and no SACK (tcp_conn_request:
 * `want_cookie && !saw_tstamp` clears the options, there is nowhere to remember them), and the
 * TSval carries the peer's window scale, SACK and ECN in its low 6 bits (cookie_init_timestamp).
 * ECN is never offered: tcplab does not negotiate it (its SYN-ACKs carry no ECE).
 */
export function cookieSynAck(input: CookieSynAckInput): OutgoingSegment {
  const { syn, config } = input;
  const timestamps = config.tcpTimestamps && syn.tsVal !== undefined;
  const offered = timestamps ? syn : { ...syn, windowScale: undefined, sackPermitted: false };
  const n = negotiate(config, offered);
  const tsVal = timestamps
    ? (cookieInitTimestamp(input.tsClock, { wscale: n.wscaleOn ? n.sndWscale : undefined, sackOk: n.sack, ecnOk: false }) + input.tsOffset) >>> 0
    : undefined;
  // Linux tcp_openreq_init_rwin, as the engine's sendSynAck: 65160 at MTU 1500 with timestamps.
  const window = initialWindow(initialRcvbuf(config), input.mss - (timestamps ? TS_OPTION_SPACE : 0));
  const options = linuxSynOptions({
    mss: input.mss,
    sackPermitted: n.sack,
    tsVal,
    tsEcr: timestamps ? syn.tsVal : undefined,
    windowScale: n.wscaleOn ? n.rcvWscale : undefined,
  });
  return { seq: input.iss >>> 0, ack: seqAdd(syn.seq, 1), flags: TCP_SYN | TCP_ACK, window, options, payload: EMPTY };
}

/**
 * cookie_timestamp_decode, on the final ACK: the options its SYN negotiated, from TSecr less
 * the connection's timestamp offset; none without a timestamp. Undefined when the ACK must be
 * dropped: a timestamp while tcp_timestamps is off, SACK while tcp_sack is off, a window scale
 * while tcp_window_scaling is off.
 */
export function cookieOptionsFromAck(ack: Pick<TcpSegment, 'tsVal' | 'tsEcr'>, tsOffset: number, config: TcpConfig): CookieOptions | undefined {
  if (ack.tsVal === undefined) return { wscale: undefined, sackOk: false, ecnOk: false };
  if (!config.tcpTimestamps) return undefined;
  const decoded = cookieTimestampDecode(((ack.tsEcr ?? 0) - tsOffset) >>> 0);
  if (decoded.sackOk && !config.tcpSack) return undefined;
  if (decoded.wscale !== undefined && !config.tcpWindowScaling) return undefined;
  return decoded;
}

/**
 * The SYN a cookie stands for (cookie_tcp_reqsk_alloc): SEQ = SEG.SEQ − 1 of the ACK, the MSS
 * the cookie encoded, the options its timestamp carried, and the ACK's TSval as TS.Recent. Its
 * window is the ACK's: the SYN's own is not kept, and the ACK's replaces it at once.
 */
export function synFromCookie(ack: TcpSegment, mss: number, options: CookieOptions): IncomingSegment {
  return {
    seq: seqAdd(ack.seq, -1),
    ack: 0,
    flags: TCP_SYN,
    window: ack.window,
    payload: EMPTY,
    mss,
    windowScale: options.wscale,
    sackPermitted: options.sackOk,
    tsVal: ack.tsVal,
    tsEcr: undefined,
    sackBlocks: [],
  };
}
