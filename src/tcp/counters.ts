/**
 * Per-connection counters, named after Linux's SNMP/netstat MIB entries they feed (the stack sums
 * them into its own table: InSegs, OutSegs, RetransSegs, ActiveOpens, TCPChallengeACK...).
 */
export interface TcpCounters {
  /** InSegs / OutSegs. */
  inSegs: number;
  outSegs: number;
  /** RetransSegs. */
  retransSegs: number;
  /** ActiveOpens / PassiveOpens. */
  activeOpens: number;
  passiveOpens: number;
  /** AttemptFails: SYN-SENT/SYN-RECEIVED to CLOSED by RST or timeout. */
  attemptFails: number;
  /** EstabResets: ESTABLISHED/CLOSE-WAIT to CLOSED by RST. */
  estabResets: number;
  /** InRsts (accepted) / OutRsts. */
  inRsts: number;
  outRsts: number;
  /** TCPTimeouts. */
  timeouts: number;
  /** TCPFastRetrans. */
  fastRetransmits: number;
  /** TCPLossProbes. */
  lossProbes: number;
  /** Duplicate ACKs received. */
  dupAcksIn: number;
  /** TCPSACKReorder: reordering detected from SACKs and ACKs of original segments. */
  sackReorder: number;
  /** TCPLostRetransmit: a retransmission found lost (by RACK) and sent again. */
  lostRetransmits: number;
  /** TCPDSACKUndo / TCPFullUndo: a cwnd reduction undone, proved spurious by D-SACKs or by
   *  timestamps. */
  dsackUndos: number;
  timestampUndos: number;
  /** TCPChallengeACK / TCPACKSkippedChallenge. */
  challengeAcks: number;
  challengeAcksSkipped: number;
  /** TCPACKSkippedSeq and friends: out-of-window ACKs not sent (rate limit). */
  oowAcksSkipped: number;
  /** PAWSEstab. */
  pawsEstabRejected: number;
  /** Segments failing the acceptability test of RFC 9293 §3.10.7.4. */
  outOfWindow: number;
  /** ACKs outside RFC 5961 §5's range. */
  ackOutOfRange: number;
  /** In SYN-SENT or SYN-RECEIVED, an ACK that is not for our SYN (answered with RST). */
  badHandshakeAcks: number;
  /** Segments without ACK on a synchronized connection, dropped (RFC 9293 §3.10.7.4 fifth). */
  noAckDrops: number;
  /** TCPZeroWindowDrop: data that arrived while our receive window was zero. */
  zeroWindowDrops: number;
  /** TCPSynRetrans: SYN and SYN-ACK retransmissions. */
  synRetrans: number;
  /** TCPAbortOnTimeout: connections that failed with ETIMEDOUT (retransmission, zero-window
   *  probe or keepalive timeout). */
  abortOnTimeout: number;
  /** TW / TWKilled: entries into TIME-WAIT, and into an orphaned FIN-WAIT-2's timewait phase,
   *  as Linux's __inet_twsk_schedule counts them: TWKilled when the wait is 4 s or less. */
  timeWaits: number;
  timeWaitsKilled: number;
  /** TCPAbortOnData / TCPAbortOnClose. */
  abortOnData: number;
  abortOnClose: number;
  /** DelayedACKs. */
  delayedAcks: number;
  /** Window updates sent after the application read. */
  windowUpdates: number;
  /** Zero-window probes / keepalive probes sent. */
  windowProbes: number;
  keepaliveProbes: number;
  bytesSent: number;
  bytesAcked: number;
  bytesReceived: number;
}

export function newCounters(): TcpCounters {
  return {
    inSegs: 0,
    outSegs: 0,
    retransSegs: 0,
    activeOpens: 0,
    passiveOpens: 0,
    attemptFails: 0,
    estabResets: 0,
    inRsts: 0,
    outRsts: 0,
    timeouts: 0,
    fastRetransmits: 0,
    lossProbes: 0,
    dupAcksIn: 0,
    sackReorder: 0,
    lostRetransmits: 0,
    dsackUndos: 0,
    timestampUndos: 0,
    challengeAcks: 0,
    challengeAcksSkipped: 0,
    oowAcksSkipped: 0,
    pawsEstabRejected: 0,
    outOfWindow: 0,
    ackOutOfRange: 0,
    badHandshakeAcks: 0,
    noAckDrops: 0,
    zeroWindowDrops: 0,
    synRetrans: 0,
    abortOnTimeout: 0,
    timeWaits: 0,
    timeWaitsKilled: 0,
    abortOnData: 0,
    abortOnClose: 0,
    delayedAcks: 0,
    windowUpdates: 0,
    windowProbes: 0,
    keepaliveProbes: 0,
    bytesSent: 0,
    bytesAcked: 0,
    bytesReceived: 0,
  };
}

/** into += from, counter by counter. Every closed connection is added to its stack's totals, so
 *  the adder is generated once from the counters' names: a loop over the names made a keyed
 *  lookup per counter (2% of a connection-rate profile), generated code makes named ones. */
export const addCounters = new Function(
  'into',
  'from',
  Object.keys(newCounters())
    .map((k) => `into.${k} += from.${k};`)
    .join('\n'),
) as (into: TcpCounters, from: TcpCounters) => void;
