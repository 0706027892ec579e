/**
 * What two SYNs agree on (RFC 9293 §3.7.1 MSS, RFC 7323 window scale and timestamps, RFC 2018
 * SACK-permitted). Window scaling and timestamps are both-or-neither: each is used only when both
 * SYNs carry the option, and so is SACK.
 */

import type { TcpSegment } from '../wire/tcp.js';
import { initialRcvbuf, rcvbufLocked, type TcpConfig } from './config.js';

/** RFC 9293 §3.7.1: the MSS assumed when the peer sends none (IPv4's 576 − 40). */
export const DEFAULT_PEER_MSS = 536;
/** RFC 7323 §2.3: shifts above 14 are used as 14. */
export const MAX_WSCALE = 14;
/** NOP NOP TS: the room the timestamps take in every non-SYN segment. */
export const TS_OPTION_SPACE = 12;

export interface Negotiated {
  readonly peerMss: number;
  /** Both SYNs carried Window Scale. */
  readonly wscaleOn: boolean;
  /** The peer's shift (applied to windows it sends) and ours. */
  readonly sndWscale: number;
  readonly rcvWscale: number;
  readonly sack: boolean;
  readonly timestamps: boolean;
}

/**
 * The shift we offer, as Linux's tcp_select_initial_window sets it "on max possible window":
 * ilog2(max(the buffer, tcp_rmem[2], rmem_max)) − 15, so 7 for the default 6 MiB. A locked
 * buffer (SO_RCVBUF) bounds it, since Linux then clamps the window to the buffer first
 * (tcp_connect_init, tcp_openreq_init_rwin: window_clamp = tcp_full_space): a buffer smaller
 * than one unit of the scale could never be advertised.
 */
export function offeredWscale(config: TcpConfig, rcvbuf = initialRcvbuf(config)): number {
  let space = Math.max(rcvbuf, config.tcpRmem[2], config.rmemMax);
  if (rcvbufLocked(config)) space = Math.min(space, rcvbuf);
  const shift = space > 0 ? Math.floor(Math.log2(space)) - 15 : 0;
  return Math.min(Math.max(shift, 0), MAX_WSCALE);
}

/** Our options against those of the peer's SYN (or SYN-ACK, which only echoes what we sent). */
export function negotiate(
  config: TcpConfig,
  syn: Pick<TcpSegment, 'mss' | 'windowScale' | 'sackPermitted' | 'tsVal'>,
  rcvbuf = initialRcvbuf(config),
): Negotiated {
  const wscaleOn = config.tcpWindowScaling && syn.windowScale !== undefined;
  return {
    peerMss: syn.mss !== undefined && syn.mss > 0 ? syn.mss : DEFAULT_PEER_MSS,
    wscaleOn,
    sndWscale: wscaleOn ? Math.min(syn.windowScale ?? 0, MAX_WSCALE) : 0,
    rcvWscale: wscaleOn ? offeredWscale(config, rcvbuf) : 0,
    sack: config.tcpSack && syn.sackPermitted,
    timestamps: config.tcpTimestamps && syn.tsVal !== undefined,
  };
}
