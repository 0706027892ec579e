/**
 * The tunables of one connection. Every default is Linux 6.x's, and every name follows the Linux
 * sysctl (or socket option) it mirrors, so an experiment reads the same on both ends
 * (DESIGN.md, "Linux defaults to mirror"). Times are milliseconds.
 */

export type CongestionControlName = 'cubic' | 'newreno';

export interface TcpConfig {
  /** Maximum segment lifetime. TIME-WAIT lasts 2 × msl (Linux TCP_TIMEWAIT_LEN = 60 s). 0 disables
   *  TIME-WAIT: the connection goes straight to CLOSED (the lost-duplicate experiment needs it). */
  readonly msl: number;
  /** net.ipv4.tcp_fin_timeout: how long an orphaned connection stays in FIN-WAIT-2. */
  readonly tcpFinTimeout: number;
  /** net.ipv4.tcp_syn_retries. */
  readonly tcpSynRetries: number;
  /** net.ipv4.tcp_syn_linear_timeouts (Linux 6.5+): the first retransmissions of a SYN wait the
   *  initial RTO each, without backoff. 0 gives the classic schedule (0, 1, 3, 7, 15, 31, 63 s). */
  readonly tcpSynLinearTimeouts: number;
  /** net.ipv4.tcp_synack_retries. */
  readonly tcpSynackRetries: number;
  /** net.ipv4.tcp_retries2: data retransmissions before ETIMEDOUT. */
  readonly tcpRetries2: number;
  /** TCP_USER_TIMEOUT (ms): when set, how long data (or a SYN) may stay unacknowledged before
   *  ETIMEDOUT, instead of the tcp_retries2 / tcp_syn_retries budgets. 0: unset. */
  readonly userTimeout: number;
  /** net.ipv4.tcp_rfc1337: ignore RST in TIME-WAIT (RFC 1337) instead of dying (Linux default 0). */
  readonly tcpRfc1337: boolean;
  /** net.ipv4.tcp_timestamps (RFC 7323 §3). */
  readonly tcpTimestamps: boolean;
  /** net.ipv4.tcp_sack (RFC 2018). */
  readonly tcpSack: boolean;
  /** net.ipv4.tcp_recovery, a bit mask: 0x1 RACK loss detection (RFC 8985) beside RFC 6675's
   *  DupThresh, 0x2 a static reordering window (no D-SACK widening). Linux default 0x1. */
  readonly tcpRecovery: number;
  /** net.ipv4.tcp_window_scaling (RFC 7323 §2). The shift offered follows from tcpRmem[2] and
   *  rmemMax (7 for 6 MiB), as Linux's tcp_select_initial_window derives it. */
  readonly tcpWindowScaling: boolean;
  /**
   * net.ipv4.tcp_rmem: [min, default, max] receive buffer bytes. A connection starts with
   * default and, with tcpModerateRcvbuf, grows toward max as its application reads (Linux's
   * receive-buffer auto-tuning, tcp_rcv_space_adjust); max also sets the window scale offered.
   * min matters to Linux only under memory pressure, which tcplab does not model.
   */
  readonly tcpRmem: readonly [min: number, initial: number, max: number];
  /** net.ipv4.tcp_moderate_rcvbuf: grow the receive buffer as the application reads. */
  readonly tcpModerateRcvbuf: boolean;
  /** net.ipv4.tcp_app_win: 1/2^tcpAppWin of the buffer is kept out of the window, for the
   *  application (tcp_init_buffer_space); 31, the default, keeps one segment. */
  readonly tcpAppWin: number;
  /** net.core.rmem_max: the window scale offered covers at least this much (and, in Linux, the
   *  largest SO_RCVBUF an application may ask for). */
  readonly rmemMax: number;
  /** net.ipv4.tcp_challenge_ack_limit per socket (RFC 5961 §7): at most one per this interval. */
  readonly challengeAckInterval: number;
  /** TCP_RTO_MIN, TCP_RTO_MAX, TCP_TIMEOUT_INIT. */
  readonly rtoMin: number;
  readonly rtoMax: number;
  readonly rtoInitial: number;
  /** TCP_DELACK_MIN, TCP_DELACK_MAX. */
  readonly delackMin: number;
  readonly delackMax: number;
  /** TCP_MAX_QUICKACKS: segments ACKed at once after the first data arrives. */
  readonly quickAcks: number;
  /** TCP_INIT_CWND (RFC 6928), in segments. */
  readonly initCwnd: number;
  /** net.ipv4.tcp_congestion_control. */
  readonly congestionControl: CongestionControlName;
  /** TCP_NODELAY: disables Nagle's algorithm. */
  readonly noDelay: boolean;
  /** SO_KEEPALIVE, tcp_keepalive_time, tcp_keepalive_intvl, tcp_keepalive_probes. */
  readonly keepalive: boolean;
  readonly keepaliveTime: number;
  readonly keepaliveIntvl: number;
  readonly keepaliveProbes: number;
  /** SO_SNDBUF in bytes (tcp_wmem[1] = 16 KiB is too small to stream; Linux autotunes it,
   *  tcplab takes a fixed, larger default). */
  readonly sendBufferSize: number;
  /**
   * SO_RCVBUF in bytes: 0 (the default) leaves the receive buffer to auto-tuning (tcpRmem,
   * tcpModerateRcvbuf); a size fixes the buffer and locks it (Linux SOCK_RCVBUF_LOCK), which also
   * bounds the window scale offered. Linux doubles what setsockopt(SO_RCVBUF) is given for
   * the kernel's bookkeeping (sk_buff overhead); tcplab's buffer holds only data, so this is
   * the buffer itself.
   */
  readonly receiveBufferSize: number;
  /**
   * The device's gso_max_size (Linux sk_gso_max_size): with TSO, new data leaves in
   * super-segments of up to this many bytes, a multiple of the MSS (tcp_xmit_size_goal), which
   * the device cuts into MSS-sized segments. 0 (the default): one MSS per segment. The net layer
   * sets it from the link's offloads.
   */
  readonly gsoMaxSize: number;
}

export const DEFAULT_TCP_CONFIG: TcpConfig = Object.freeze({
  msl: 30_000,
  tcpFinTimeout: 60_000,
  tcpSynRetries: 6,
  tcpSynLinearTimeouts: 4,
  tcpSynackRetries: 5,
  tcpRetries2: 15,
  userTimeout: 0,
  tcpRfc1337: false,
  tcpTimestamps: true,
  tcpSack: true,
  tcpRecovery: 1,
  tcpWindowScaling: true,
  tcpRmem: Object.freeze([4096, 131_072, 6_291_456] as const),
  tcpModerateRcvbuf: true,
  tcpAppWin: 31,
  rmemMax: 4_194_304,
  challengeAckInterval: 500,
  rtoMin: 200,
  rtoMax: 120_000,
  rtoInitial: 1_000,
  delackMin: 40,
  delackMax: 200,
  quickAcks: 16,
  initCwnd: 10,
  congestionControl: 'cubic',
  noDelay: false,
  keepalive: false,
  keepaliveTime: 7_200_000,
  keepaliveIntvl: 75_000,
  keepaliveProbes: 9,
  sendBufferSize: 4 * 1024 * 1024,
  receiveBufferSize: 0,
  gsoMaxSize: 0,
});

/** The receive buffer a connection starts with (Linux sk_rcvbuf): SO_RCVBUF when set, else
 *  tcp_rmem[1]. */
export function initialRcvbuf(config: TcpConfig): number {
  return config.receiveBufferSize > 0 ? config.receiveBufferSize : config.tcpRmem[1];
}

/** SO_RCVBUF was set (Linux SOCK_RCVBUF_LOCK): the buffer stays as it is. */
export function rcvbufLocked(config: TcpConfig): boolean {
  return config.receiveBufferSize > 0;
}

/** One frozen result per overrides object: every connection of a stack shares its config. */
const resolved = new WeakMap<Partial<TcpConfig>, TcpConfig>();

/** The defaults with `overrides` applied (treat `overrides` as a value: it is not read again).
 *  Receive-buffer settings out of range throw a RangeError with code ERR_OUT_OF_RANGE. */
export function tcpConfig(overrides: Partial<TcpConfig> = {}): TcpConfig {
  let config = resolved.get(overrides);
  if (config === undefined) {
    config = Object.freeze({ ...DEFAULT_TCP_CONFIG, ...overrides });
    checkReceiveBuffer(config);
    resolved.set(overrides, config);
  }
  return config;
}

/** RFC 7323 §2.3: no window reaches 2^30, so no receive buffer needs more. */
const MAX_RCVBUF = 2 ** 30;

function checkReceiveBuffer(c: TcpConfig): void {
  const r = c.tcpRmem;
  if (!Array.isArray(r) || r.length !== 3 || !r.every((v) => Number.isInteger(v) && v >= 1) || r[1] > MAX_RCVBUF) {
    outOfRange('tcpRmem', 'three positive integers [min, default, max] (as net.ipv4.tcp_rmem), the default at most 2^30', r);
  }
  const size = c.receiveBufferSize;
  if (!Number.isInteger(size) || size < 0 || size > MAX_RCVBUF) outOfRange('receiveBufferSize', 'an integer in [0, 2^30] (0: auto-tuned from tcpRmem)', size);
  if (!Number.isInteger(c.tcpAppWin) || c.tcpAppWin < 0 || c.tcpAppWin > 31) outOfRange('tcpAppWin', 'an integer in [0, 31] (as net.ipv4.tcp_app_win)', c.tcpAppWin);
  if (!Number.isInteger(c.rmemMax) || c.rmemMax < 0) outOfRange('rmemMax', 'a non-negative integer (as net.core.rmem_max)', c.rmemMax);
}

function outOfRange(name: string, expected: string, value: unknown): never {
  const err = new RangeError(`The value of "${name}" is out of range. It must be ${expected}. Received ${JSON.stringify(value) ?? String(value)}`);
  (err as RangeError & { code: string }).code = 'ERR_OUT_OF_RANGE';
  throw err;
}
