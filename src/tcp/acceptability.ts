/**
 * The tests a segment passes before its contents count: RFC 9293 §3.10.7.4's acceptability
 * table and RFC 7323 §5's PAWS. Pure functions of the segment and the receive state.
 */

import { seqAdd, seqLt } from '../wire/seq.js';
import { TCP_FIN, TCP_SYN } from '../wire/tcp.js';

/** RFC 7323 §5.5: a TS.Recent older than 24 days is not used for PAWS (TCP_PAWS_24DAYS). */
export const PAWS_IDLE_LIMIT = 24 * 24 * 3600 * 1000;

/** SEG.LEN (RFC 9293 §3.4): the data, plus one for SYN and one for FIN. */
export function segmentLength(seg: { readonly flags: number; readonly payload: Uint8Array }): number {
  return seg.payload.length + (seg.flags & TCP_SYN ? 1 : 0) + (seg.flags & TCP_FIN ? 1 : 0);
}

function inWindow(x: number, start: number, length: number): boolean {
  return ((x - start) >>> 0) < length;
}

/**
 * RFC 9293 §3.10.7.4, first step:
 *
 *     Segment Length  Receive Window  Test
 *     0               0               SEG.SEQ = RCV.NXT
 *     0               >0              RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
 *     >0              0               not acceptable
 *     >0              >0              RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
 *                                     or RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
 *
 * With one allowance: "If the RCV.WND is zero, no segments will be acceptable, but special
 * allowance should be made to accept valid ACKs, URGs, and RSTs". A segment with data at exactly
 * RCV.NXT in a zero window (a BSD zero-window probe) passes so its ACK is processed; its data is
 * then dropped for lack of room and the ACK repeats the zero window (Linux tcp_sequence is as
 * lenient).
 */
export function isAcceptable(seq: number, len: number, rcvNxt: number, rcvWnd: number): boolean {
  if (len === 0) return rcvWnd === 0 ? seq === rcvNxt : inWindow(seq, rcvNxt, rcvWnd);
  if (rcvWnd === 0) return seq === rcvNxt;
  return inWindow(seq, rcvNxt, rcvWnd) || inWindow(seqAdd(seq, len - 1), rcvNxt, rcvWnd);
}

/**
 * RFC 7323 §5.3 R1: "If SEG.TSval < TS.Recent and if TS.Recent is valid (see later discussion),
 * then treat the arriving segment as not acceptable". Comparisons are mod 2^32 (§5.2), and a
 * TS.Recent idle for more than 24 days is invalid (§5.5).
 */
export function pawsRejects(tsVal: number | undefined, tsRecent: number, tsRecentAt: number, now: number): boolean {
  if (tsVal === undefined) return false;
  if (now - tsRecentAt > PAWS_IDLE_LIMIT) return false;
  return seqLt(tsVal, tsRecent);
}
