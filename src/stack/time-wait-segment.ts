// What a TIME-WAIT entry does with a segment for its 4-tuple: Linux's
// tcp_timewait_state_process (net/ipv4/tcp_minisocks.c), the reuse test of connect() under
// tcp_tw_reuse (tcp_twsk_unique), and the ACK it sends (tcp_v4_timewait_ack).
import type { TcpSegment } from '../wire/tcp.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../wire/tcp.js';
import { seqAdd, seqGt } from '../wire/seq.js';
import type { TimeWaitTable } from './time-wait-table.js';

/** Linux tcp_timewait_state_process: `isn = tw_snd_nxt + 65535 + 2`, past anything the old
 *  incarnation sent and any window it offered (RFC 1122 §4.2.2.13 condition (1)). */
export const TIME_WAIT_ISN_INCREMENT = 65537;

/** TCP_PAWS_MSL: a RST whose timestamp is older than TS.Recent is still believed once TS.Recent
 *  is 60 s old (peers that rebooted). */
const PAWS_MSL_MS = 60_000;
/** TCP_PAWS_WRAP (INT_MAX seconds): TS.Recent this old says nothing any more. */
const PAWS_WRAP_MS = 2147483647 * 1000;

export interface TimeWaitPolicy {
  /** net.ipv4.tcp_rfc1337: ignore RSTs in TIME-WAIT (RFC 1337 §3 fix "F1"). Default false,
   *  as Linux: an in-window RST ends TIME-WAIT early ("TIME-WAIT assassination"). */
  readonly tcpRfc1337?: boolean;
  /** net.ipv4.tcp_invalid_ratelimit: at most one duplicate ACK per this many ms; default 500. */
  readonly tcpInvalidRatelimit?: number;
}

export type TimeWaitVerdict =
  /** Nothing to send (TCP_TW_SUCCESS); `ackSkipped`: an ACK was due but tcp_invalid_ratelimit
   *  held it back (Linux TCPACKSkippedTimeWait). */
  | { readonly action: 'drop'; readonly pawsRejected: boolean; readonly ackSkipped?: true }
  /** Answer with `timeWaitAck` (TCP_TW_ACK): the peer's FIN (or other segment) is re-ACKed. */
  | { readonly action: 'ack'; readonly pawsRejected: boolean }
  /** An acceptable RST: remove the entry (and its port hold). */
  | { readonly action: 'kill' }
  /** A new SYN reopens the 4-tuple (TCP_TW_SYN): remove the entry and hand the SYN to the
   *  listener with this ISN. Without a listener, the caller answers as for no socket. */
  | { readonly action: 'syn'; readonly iss: number };

type Segment = Pick<TcpSegment, 'flags' | 'seq' | 'payload' | 'tsVal'>;

/**
 * Linux tcp_timewait_state_process for the TIME-WAIT substate. Restarts the 2MSL timer and
 * updates TS.Recent in the table as Linux does; removing the entry is the caller's (it also
 * releases the port), on 'kill' and 'syn'.
 *
 * - An in-window segment (SEG.SEQ = RCV.NXT) can only be a bare ACK or a RST. RST: RFC 9293
 *   §3.10.7.4 (TIME-WAIT, "If the RST bit is set then enter the CLOSED state"), unless
 *   tcpRfc1337. ACK: restart 2MSL, nothing sent.
 * - A SYN (no ACK, no RST) beyond RCV.NXT, or with a TSval newer than TS.Recent, opens a new
 *   connection (RFC 1122 §4.2.2.13; RFC 6191 §2 with timestamps), ISN = SND.NXT + 65537.
 * - Anything else but a RST is acknowledged (RFC 9293 §3.10.7.4: "The only thing that can arrive
 *   in this state is a retransmission of the remote FIN. Acknowledge it, and restart the 2 MSL
 *   timeout"); with an ACK bit or failing PAWS the timer restarts. Bare duplicates are ACKed at
 *   most once per tcpInvalidRatelimit; the retransmitted FIN always is.
 */
export function timeWaitSegment(table: TimeWaitTable, slot: number, segment: Segment, now: number, policy: TimeWaitPolicy = {}): TimeWaitVerdict {
  const rst = (segment.flags & TCP_RST) !== 0;
  const syn = (segment.flags & TCP_SYN) !== 0;
  const ack = (segment.flags & TCP_ACK) !== 0;
  const fin = (segment.flags & TCP_FIN) !== 0;
  const endSeq = seqAdd(segment.seq, segment.payload.length + (syn ? 1 : 0) + (fin ? 1 : 0));
  const rcvNxt = table.rcvNxt(slot);

  // Timestamps count only if the connection used them (tw_ts_recent_stamp ≠ 0).
  const sawTimestamp = table.hasTimestamps(slot) && segment.tsVal !== undefined;
  const tsVal = segment.tsVal ?? 0;
  const tsRecent = table.tsRecent(slot) ?? 0;
  const pawsRejected = sawTimestamp && pawsReject(tsRecent, table.tsRecentStamp(slot), tsVal, rst, now);

  if (!pawsRejected && segment.seq === rcvNxt && (segment.seq === endSeq || rst)) {
    if (rst) {
      if (!policy.tcpRfc1337) return { action: 'kill' };
    } else {
      table.restart(slot, now);
    }
    if (sawTimestamp) table.updateTsRecent(slot, tsVal, now);
    return { action: 'drop', pawsRejected: false };
  }

  if (syn && !rst && !ack && !pawsRejected && (seqGt(segment.seq, rcvNxt) || (sawTimestamp && ((tsRecent - tsVal) | 0) < 0))) {
    const iss = seqAdd(table.sndNxt(slot), TIME_WAIT_ISN_INCREMENT);
    return { action: 'syn', iss: iss === 0 ? 1 : iss };
  }

  if (rst) return { action: 'drop', pawsRejected };
  // "If it is ACKless SYN it may be both old duplicate and new good SYN with random sequence
  // number < rcv_nxt. Do not reschedule in the last case."
  if (pawsRejected || ack) table.restart(slot, now);
  return outOfWindowRateLimited(table, slot, segment.seq !== endSeq && !syn, now, policy.tcpInvalidRatelimit ?? 500)
    ? { action: 'drop', pawsRejected, ackSkipped: true }
    : { action: 'ack', pawsRejected };
}

/** tcp_paws_reject: TSval older than TS.Recent, unless TS.Recent is stale (or 0), and for a RST
 *  unless TS.Recent is older than TCP_PAWS_MSL. */
function pawsReject(tsRecent: number, tsRecentStamp: number, tsVal: number, rst: boolean, now: number): boolean {
  if (((tsRecent - tsVal) | 0) <= 0) return false;
  if (now >= tsRecentStamp + PAWS_WRAP_MS) return false;
  if (tsRecent === 0) return false;
  if (rst && now >= tsRecentStamp + PAWS_MSL_MS) return false;
  return true;
}

/** tcp_oow_rate_limited: data segments (the FIN included) are never limited, they cannot be
 *  an ACK loop; bare duplicates get one ACK per `interval`. */
function outOfWindowRateLimited(table: TimeWaitTable, slot: number, carriesData: boolean, now: number, interval: number): boolean {
  if (carriesData) return false;
  const last = table.lastOutOfWindowAck(slot);
  const elapsed = now - last;
  if (elapsed >= 0 && elapsed < interval) return true;
  table.setLastOutOfWindowAck(slot, now);
  return false;
}

/** The fields of the ACK a TIME-WAIT entry sends (tcp_v4_timewait_ack / tcp_v6_timewait_ack):
 *  `tsClock` is the stack's timestamp clock, to which the connection's offset is added. */
export function timeWaitAck(table: TimeWaitTable, slot: number, tsClock: number): { seq: number; ack: number; window: number; tsVal?: number; tsEcr?: number } {
  const window = Math.min(0xffff, table.rcvWnd(slot) >>> table.rcvWscale(slot));
  const fields = { seq: table.sndNxt(slot), ack: table.rcvNxt(slot), window };
  if (!table.hasTimestamps(slot)) return fields;
  return { ...fields, tsVal: (tsClock + table.tsOffset(slot)) >>> 0, tsEcr: table.tsRecent(slot) };
}

export interface TimeWaitReusePolicy {
  /** net.ipv4.tcp_tw_reuse: 0 never, 1 always, 2 (default) for loopback traffic only. */
  readonly tcpTwReuse?: 0 | 1 | 2;
  /** net.ipv4.tcp_tw_reuse_delay (Linux 6.12+): ms an entry must have existed; default 1000. */
  readonly tcpTwReuseDelay?: number;
}

/**
 * Linux tcp_twsk_unique, for connect(): may a new connection take over this TIME-WAIT 4-tuple?
 * Only when the old one used timestamps (PAWS then rejects its stray segments: RFC 6191 §2,
 * RFC 7323 §5.8) and the entry is older than tcpTwReuseDelay (Linux before 6.12: TS.Recent
 * older than 1 s; the effect in experiments is the same "1 s of age"). With tcpTwReuse = 2,
 * only if either address is a loopback address. The new connection then starts at
 * `timeWaitReopenIss` and inherits TS.Recent.
 */
export function timeWaitReusable(table: TimeWaitTable, slot: number, now: number, policy: TimeWaitReusePolicy = {}): boolean {
  let reuse = policy.tcpTwReuse ?? 2;
  if (reuse === 2 && !isLoopback(table, slot)) reuse = 0;
  if (reuse === 0 || !table.hasTimestamps(slot)) return false;
  return now > table.entryStamp(slot) + (policy.tcpTwReuseDelay ?? 1000);
}

/** The ISN of a connection reopening a TIME-WAIT 4-tuple (tcp_twsk_unique, TCP_TW_SYN). */
export function timeWaitReopenIss(table: TimeWaitTable, slot: number): number {
  const iss = seqAdd(table.sndNxt(slot), TIME_WAIT_ISN_INCREMENT);
  return iss === 0 ? 1 : iss;
}

function isLoopback(table: TimeWaitTable, slot: number): boolean {
  for (const address of [table.localAddress(slot), table.remoteAddress(slot)]) {
    if (typeof address === 'number') {
      if (address >>> 24 === 127) return true;
      continue;
    }
    let zeros = true;
    for (let i = 0; i < 15; i++) if (address[i] !== 0) zeros = false;
    if (zeros && address[15] === 1) return true; // ::1
    let mapped = address[10] === 0xff && address[11] === 0xff;
    for (let i = 0; i < 10; i++) if (address[i] !== 0) mapped = false;
    if (mapped && address[12] === 127) return true; // ::ffff:127.0.0.0/104
  }
  return false;
}
