/**
 * What outlives a connection in TIME-WAIT: the few numbers the stack's TIME_WAIT table keeps
 * (Linux's tcp_timewait_sock) to answer segments for the 4-tuple and to judge a new SYN.
 */

import { seqAdd, seqGt, seqLt } from '../wire/seq.js';
import { TCP_ACK, TCP_RST, TCP_SYN, type TcpSegment } from '../wire/tcp.js';

export interface TimeWaitRecord {
  /** SND.NXT: the new incarnation's ISN is derived from it. */
  readonly sndNxt: number;
  /** RCV.NXT: a new SYN must be beyond it (RFC 1122 §4.2.2.13). */
  readonly rcvNxt: number;
  /** TS.Recent when timestamps were in use (RFC 6191). */
  readonly tsRecent: number | undefined;
  readonly tsRecentAt: number;
  /** When TIME-WAIT ends (2 × msl after the last restart). */
  readonly expiresAt: number;
}

/** Linux tcp_timewait_state_process: `isn = tw_snd_nxt + 65535 + 2`. */
export const TIME_WAIT_ISN_INCREMENT = 65537;

/**
 * RFC 6191 §2 and Linux tcp_timewait_state_process (TCP_TW_SYN): a bare SYN (no ACK, no RST)
 * may reopen a 4-tuple in TIME-WAIT when its sequence number is beyond RCV.NXT or, with
 * timestamps, its TSval is newer than TS.Recent. Returns the ISN for the new connection (old
 * SND.NXT + 65537, never 0), or undefined when the SYN must be treated as an old duplicate.
 */
export function timeWaitSynIss(
  record: TimeWaitRecord,
  syn: Pick<TcpSegment, 'flags' | 'seq' | 'tsVal'>,
): number | undefined {
  if ((syn.flags & (TCP_SYN | TCP_RST | TCP_ACK)) !== TCP_SYN) return undefined;
  const tsNewer = record.tsRecent !== undefined && syn.tsVal !== undefined && seqLt(record.tsRecent, syn.tsVal);
  // PAWS: a SYN with an older timestamp is an old duplicate whatever its sequence number.
  const tsOlder = record.tsRecent !== undefined && syn.tsVal !== undefined && seqLt(syn.tsVal, record.tsRecent);
  if (tsOlder) return undefined;
  if (!seqGt(syn.seq, record.rcvNxt) && !tsNewer) return undefined;
  const isn = seqAdd(record.sndNxt, TIME_WAIT_ISN_INCREMENT);
  return isn === 0 ? 1 : isn;
}
