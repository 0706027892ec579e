/**
 * Linux's TCP timer constants and sysctl defaults (include/net/tcp.h, net/ipv4/tcp_ipv4.c
 * tcp_sk_init), in milliseconds. tcplab mirrors them (DESIGN.md, "Linux defaults to mirror").
 *
 * Linux keeps these in jiffies (1 to 10 ms) and rounds timers up to whole jiffies; tcplab's clock
 * is the millisecond `now` handed in by the driver, so every value here is exact milliseconds and
 * nothing is rounded.
 */

/** TCP_TIMEOUT_INIT: the RTO before any RTT sample. RFC 6298 §2.1: "the sender SHOULD set
 *  RTO <- 1 second". */
export const TCP_TIMEOUT_INIT = 1_000;

/** TCP_TIMEOUT_FALLBACK: the RTO once data flows after a handshake that gave no RTT sample.
 *  RFC 6298 §5.7 (the former RFC 1122 initial value of 3 s). */
export const TCP_TIMEOUT_FALLBACK = 3_000;

/** TCP_RTO_MIN. RFC 6298 §2.4 asks for 1 s; Linux uses 200 ms, and so does tcplab. */
export const TCP_RTO_MIN = 200;

/** TCP_RTO_MAX. RFC 6298 §2.5: "A maximum value MAY be placed on RTO provided it is at least
 *  60 seconds." */
export const TCP_RTO_MAX = 120_000;

/** net.ipv4.tcp_syn_retries. */
export const TCP_SYN_RETRIES = 6;

/** net.ipv4.tcp_syn_linear_timeouts (Linux 6.5+): SYN retransmissions that wait the initial RTO
 *  again instead of doubling it. */
export const TCP_SYN_LINEAR_TIMEOUTS = 4;

/** net.ipv4.tcp_synack_retries. */
export const TCP_SYNACK_RETRIES = 5;

/** net.ipv4.tcp_retries1: after this many, Linux asks the route for advice (not modelled). */
export const TCP_RETRIES1 = 3;

/** net.ipv4.tcp_retries2: the retransmission budget of an established connection. */
export const TCP_RETRIES2 = 15;

/** net.ipv4.tcp_orphan_retries: 0 means 8 while the RTO is below TCP_RTO_MAX. */
export const TCP_ORPHAN_RETRIES = 0;

/** net.ipv4.tcp_min_rtt_wlen: the window of the min-RTT filter (300 s). */
export const TCP_MIN_RTT_WLEN = 300_000;
