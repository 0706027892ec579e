// The host's TIME-WAIT sockets, Linux's inet_timewait_sock: when a connection enters TIME-WAIT
// the stack keeps a compact entry in its TimeWaitTable (tcp_time_wait) instead of the engine,
// answers segments for the 4-tuple from it (tcp_timewait_state_process, time-wait-segment.ts),
// holds the local port in the bind table until the entry ends, and reports the end of TIME-WAIT
// (expiry, RST, a new SYN or connect() taking the 4-tuple over) to the event sink as the engine
// would have: TIME-WAIT → CLOSED with the 4-tuple.
import type { IpAddress } from '../wire/address.js';
import { IPPROTO_TCP } from '../wire/ip-protocol.js';
import { TCP_ACK, buildTcpSegment, type TcpSegment } from '../wire/tcp.js';
import { linuxTcpOptions } from '../wire/tcp-options.js';
import type { Connection } from '../tcp/connection.js';
import type { TcpConfig } from '../tcp/config.js';
import type { TcpEvent } from '../tcp/events.js';
import { toTcpSegmentFields, type Endpoint } from '../tcp/outgoing-segment.js';
import type { BindTable } from './bind-table.js';
import type { Counters } from './counters.js';
import { ipPacket } from './ip-output.js';
import type { SocketRow } from './socket-row.js';
import type { TimeWaitRef } from './tcp-endpoint.js';
import { timeWaitAck, timeWaitReopenIss, timeWaitReusable, timeWaitSegment } from './time-wait-segment.js';
import { TimeWaitTable } from './time-wait-table.js';

/**
 * net.ipv4.tcp_max_tw_buckets. Linux sets it to half its established hash table (tcp_sk_init:
 * `ehash_mask + 1) / 2`), which alloc_large_system_hash sizes from the RAM up to 524 288 slots:
 * 262 144 on any machine with a few GB or more (this default), less on small ones (131 072 on a
 * 6.18 VM whose hash got 262 144 slots).
 */
export const DEFAULT_TCP_MAX_TW_BUCKETS = 262_144;

/** __inet_twsk_schedule: an entry scheduled for at most 4 s counts as TWKilled, not TW. */
const TW_KILL_THRESHOLD_MS = 4_000;

/** Why an entry ended, as the state event's cause. */
export type TimeWaitEnd = 'timeout' | 'rst' | 'syn' | 'reuse' | 'tw-overflow';

/** What a segment for a TIME-WAIT 4-tuple led to, for the layer that demultiplexes. */
export type TimeWaitOutcome = { readonly reopen: false } | { readonly reopen: true; readonly iss: number };

export interface TimeWaitSocketsOptions {
  readonly tcpMaxTwBuckets?: number;
  readonly seed?: number;
  readonly bindings: BindTable;
  readonly counters: Counters;
  readonly send: (packet: Uint8Array) => void;
  readonly events?: (event: TcpEvent, local: Endpoint, remote: Endpoint) => void;
}

const EMPTY = new Uint8Array(0);
/** A reference that never holds: the connection closed without a TIME-WAIT entry. */
const NO_ENTRY = -1;

export class TimeWaitSockets {
  readonly table: TimeWaitTable;
  private readonly bindings: BindTable;
  private readonly counters: Counters;
  private readonly send: (packet: Uint8Array) => void;
  private readonly events: TimeWaitSocketsOptions['events'];

  constructor(options: TimeWaitSocketsOptions) {
    this.table = new TimeWaitTable({ tcpMaxTwBuckets: options.tcpMaxTwBuckets ?? DEFAULT_TCP_MAX_TW_BUCKETS, seed: options.seed });
    this.bindings = options.bindings;
    this.counters = options.counters;
    this.send = options.send;
    this.events = options.events;
  }

  /**
   * Linux tcp_time_wait: the connection just entered TIME-WAIT; keep what the entry needs and
   * its hold on the port. Beyond tcp_max_tw_buckets it closes without TIME-WAIT instead
   * (TCPTimeWaitOverflow). The returned reference tells the endpoint when its TIME-WAIT ends.
   */
  enter(connection: Connection, local: Endpoint, remote: Endpoint, reuseAddress: boolean): TimeWaitRef {
    const st = connection.state;
    if (st.name !== 'TIME-WAIT') throw new Error('TimeWaitSockets.enter: the connection is not in TIME-WAIT');
    // 2 × msl as the engine counted it (enteredAt + duration = its expiresAt, to the bit).
    const duration = 2 * connection.config.msl;
    const slot = this.table.insert(
      {
        localAddress: local.address,
        localPort: local.port,
        remoteAddress: remote.address,
        remotePort: remote.port,
        sndNxt: connection.sndNxt,
        rcvNxt: connection.rcvNxt,
        // tcp_time_wait: tw_rcv_wnd = tcp_receive_window(), what is left of the last offer.
        rcvWnd: connection.rcvWnd,
        rcvWscale: connection.rcvWscale,
        tsRecent: connection.timestampsEnabled ? connection.tsRecent : undefined,
        tsRecentStamp: connection.tsRecentAt,
        tsOffset: connection.tsOffset,
        reuseAddress,
      },
      st.enteredAt,
      duration,
    );
    if (slot < 0) {
      this.counters.inc('TcpExtTCPTimeWaitOverflow');
      this.emit('tw-overflow', local, remote, st.enteredAt);
      return { table: this.table, slot: NO_ENTRY, generation: 0 };
    }
    // Linux counts a timewait socket once, when first scheduled (__inet_twsk_schedule with
    // !rearm). An orphaned FIN-WAIT-2 was one already (its engine counted it then); its FIN
    // only reschedules it (inet_twsk_reschedule), which counts nothing.
    const counters = connection.counters;
    const counted = counters.timeWaits + counters.timeWaitsKilled > 0;
    if (!counted) this.counters.inc(duration <= TW_KILL_THRESHOLD_MS ? 'TcpExtTWKilled' : 'TcpExtTW');
    this.bindings.addTimeWait(local.address, local.port, reuseAddress);
    return { table: this.table, slot, generation: this.table.generation(slot) };
  }

  /** The entry for this 4-tuple, or −1. */
  lookup(localAddress: IpAddress, localPort: number, remoteAddress: IpAddress, remotePort: number): number {
    return this.table.lookup(localAddress, localPort, remoteAddress, remotePort);
  }

  /**
   * A segment for an entry (tcp_v4_rcv's do_time_wait). A SYN that may reopen the 4-tuple
   * (TCP_TW_SYN) is handed back: the caller ends the entry and gives the SYN to a listener, or,
   * without one, calls `ackSyn` (Linux falls through to TCP_TW_ACK).
   */
  input(slot: number, segment: TcpSegment, now: number, config: TcpConfig): TimeWaitOutcome {
    const verdict = timeWaitSegment(this.table, slot, segment, now, { tcpRfc1337: config.tcpRfc1337 });
    switch (verdict.action) {
      case 'syn':
        return { reopen: true, iss: verdict.iss };
      case 'kill':
        this.end(slot, 'rst', now);
        break;
      case 'ack':
        // Linux 6.16+ counts PAWS rejections in TIME-WAIT apart (PAWSTimewait).
        if (verdict.pawsRejected) this.counters.inc('TcpExtPAWSTimewait');
        this.sendAck(slot, now);
        break;
      case 'drop':
        if (verdict.pawsRejected) this.counters.inc('TcpExtPAWSTimewait');
        if (verdict.ackSkipped) this.counters.inc('TcpExtTCPACKSkippedTimeWait');
        break;
    }
    return { reopen: false };
  }

  /** TCP_TW_SYN without a listener: the entry stays and acknowledges the SYN (TCP_TW_ACK). */
  ackSyn(slot: number, now: number): void {
    this.sendAck(slot, now);
  }

  /** tcp_twsk_unique: may connect() take this entry's 4-tuple over (tcp_tw_reuse)? */
  reusable(slot: number, now: number, tcpTwReuse: 0 | 1 | 2): boolean {
    return timeWaitReusable(this.table, slot, now, { tcpTwReuse });
  }

  /** The ISN of a connection taking the 4-tuple over: old SND.NXT + 65537. */
  reopenIss(slot: number): number {
    return timeWaitReopenIss(this.table, slot);
  }

  /** Ends an entry before its time: a RST, a new SYN, connect() reusing it. */
  end(slot: number, cause: TimeWaitEnd, now: number): void {
    this.ended(slot, cause, now);
    this.table.remove(slot);
  }

  /** Ends every entry whose 2MSL is over at `now` (expiry ≤ now): exactly at 2 × msl. */
  expire(now: number): void {
    this.table.expire(now, (slot) => this.ended(slot, 'timeout', now));
  }

  /** The earliest expiry, for the stack's timer wheel. */
  nextExpiry(): number | undefined {
    return this.table.nextExpiry();
  }

  /** `ss -tan -o` rows: TIME-WAIT, 0 0, timer:(timewait,...,0). */
  rows(into: SocketRow[]): void {
    const t = this.table;
    t.forEach((slot) =>
      into.push({
        state: 'TIME-WAIT',
        family: t.isIpv6(slot) ? 6 : 4,
        local: { address: t.localAddress(slot), port: t.localPort(slot) },
        remote: { address: t.remoteAddress(slot), port: t.remotePort(slot) },
        recvQ: 0,
        sendQ: 0,
        timer: { kind: 'timewait', expiresAt: t.expiresAt(slot), count: 0 },
        owner: 'time-wait',
      }),
    );
  }

  // ------------------------------------------------------------------------------------------

  /** inet_twsk_kill: the port is released (inet_twsk_bind_unhash) and the state event goes out. */
  private ended(slot: number, cause: TimeWaitEnd, now: number): void {
    const t = this.table;
    this.bindings.removeTimeWait(t.localAddress(slot), t.localPort(slot), t.reuseAddress(slot));
    if (this.events) {
      this.emit(cause, { address: t.localAddress(slot), port: t.localPort(slot) }, { address: t.remoteAddress(slot), port: t.remotePort(slot) }, now);
    }
  }

  private emit(cause: TimeWaitEnd, local: Endpoint, remote: Endpoint, at: number): void {
    this.events?.({ type: 'state', from: 'TIME-WAIT', to: 'CLOSED', cause, at }, local, remote);
  }

  /** tcp_v4_timewait_ack / tcp_v6_timewait_ack: SND.NXT, RCV.NXT, the window left, timestamps. */
  private sendAck(slot: number, now: number): void {
    const t = this.table;
    const f = timeWaitAck(t, slot, Math.floor(now));
    const local = { address: t.localAddress(slot), port: t.localPort(slot) };
    const remote = { address: t.remoteAddress(slot), port: t.remotePort(slot) };
    const options = linuxTcpOptions({ tsVal: f.tsVal, tsEcr: f.tsEcr });
    const tcp = buildTcpSegment(toTcpSegmentFields({ seq: f.seq, ack: f.ack, flags: TCP_ACK, window: f.window, options, payload: EMPTY }, local, remote), local.address, remote.address);
    this.counters.inc('TcpOutSegs');
    this.send(ipPacket(local.address, remote.address, IPPROTO_TCP, tcp));
  }
}
