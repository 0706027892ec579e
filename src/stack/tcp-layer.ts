// TCP in the host: demultiplexing segments to connections by 4-tuple, listeners with
// their SYN and accept queues (and SYN cookies when the SYN queue overflows), active opens with
// ephemeral ports, the TIME-WAIT sockets that outlive their connections, and the segments for
// no connection (RSTs). Sans-IO like the rest of src/stack: time comes in as `now`.
//
// Timers: every connection keeps its next deadline in one timer wheel, updated whenever
// something happened to it, and the TIME-WAIT table keeps one entry there for its earliest
// expiry; `nextDeadline()` and `poll()` touch only what is due, never every connection.
import { randomBytes } from 'node:crypto';
import { ipEquals, ipFamily, type IpAddress } from '../wire/address.js';
import type { IpHeader } from '../wire/packet.js';
import { TCP_ACK, TCP_RST, TCP_SYN, type TcpSegment } from '../wire/tcp.js';
import { Connection } from '../tcp/connection.js';
import { tcpConfig, type TcpConfig } from '../tcp/config.js';
import { newCounters, type TcpCounters } from '../tcp/counters.js';
import type { TcpEvent, TcpEventSink } from '../tcp/events.js';
import { DEFAULT_PEER_MSS } from '../tcp/negotiation.js';
import type { Endpoint, OutgoingSegment } from '../tcp/outgoing-segment.js';
import { BindTable, type Binding } from './bind-table.js';
import type { Counters } from './counters.js';
import { EphemeralPorts } from './ephemeral-ports.js';
import { InitialSequenceNumbers } from './isn.js';
import { fourTupleKey, listenKey } from './four-tuple.js';
import { TouchList } from './touch-list.js';
import { segmentPacket } from './ip-output.js';
import { DEFAULT_SOMAXCONN, Listener } from './listener.js';
import { resetFor } from './reset.js';
import type { SocketRow } from './socket-row.js';
import { cookieOptionsFromAck, cookieSynAck, synFromCookie } from './syn-cookie-handshake.js';
import { MAX_SYN_COOKIE_AGE, SYN_COOKIE_PERIOD_MS, SynCookies, type CookieTuple } from './syn-cookies.js';
import { TcpEndpoint } from './tcp-endpoint.js';
import { TimeWaitSockets } from './time-wait-sockets.js';
import { TimerWheel, type TimerHandle } from './timer-wheel.js';
import { ChurnMap } from './churn-map.js';

/** Errors of the socket calls, with Node's codes and a message that says what to do. */
export class StackError extends Error {
  constructor(
    readonly code: 'EADDRINUSE' | 'EADDRNOTAVAIL' | 'EINVAL' | 'EAFNOSUPPORT',
    message: string,
  ) {
    super(message);
  }
}

export interface TcpLayerOptions {
  /** Per-connection tunables (src/tcp/config.ts). */
  tcp?: Partial<TcpConfig>;
  /** net.core.somaxconn. */
  somaxconn?: number;
  /** net.ipv4.ip_local_port_range, inclusive. */
  ipLocalPortRange?: [number, number];
  /** Receives every connection's events (state changes, retransmissions...), with the
   *  connection's two ends. */
  events?: (event: TcpEvent, local: Endpoint, remote: Endpoint) => void;
  /** 128-bit secret for ISNs, timestamp offsets and port choice; random by default (tests fix it). */
  secret?: Uint8Array;
  /**
   * net.ipv4.tcp_tw_reuse: may connect() take over a 4-tuple in TIME-WAIT? 0 never, 1 always,
   * 2 (Linux's default) on loopback only; in every case the old connection must have used
   * timestamps and be at least 1 s old.
   */
  tcpTwReuse?: 0 | 1 | 2;
  /**
   * net.ipv4.tcp_syncookies: 1 (Linux's default) answers with a SYN cookie when a listener's SYN
   * queue is full, 2 always, 0 never (a full SYN queue then drops the SYN).
   */
  tcpSyncookies?: 0 | 1 | 2;
  /** net.ipv4.tcp_max_tw_buckets: TIME-WAIT entries at most; default 262 144 (see
   *  time-wait-sockets.ts). Beyond it a connection closes without TIME-WAIT. */
  tcpMaxTwBuckets?: number;
  /** The link finishes TCP checksums (and cuts super-segments): segments leave with a partial
   *  checksum (src/wire/partial-checksum.ts). Set by the net layer from the link's offloads. */
  checksumOffload?: boolean;
}

/** What the timer wheel holds: a connection, or the TIME-WAIT sockets as a whole. */
type DueHandle = TimerHandle<TcpEndpoint | TimeWaitSockets>;

/** TCP_SYNCOOKIE_VALID: how long after the last cookie sent an ACK may still carry one. */
const SYN_COOKIE_VALID_MS = MAX_SYN_COOKIE_AGE * SYN_COOKIE_PERIOD_MS;

export class TcpLayer {
  /** Connections by 4-tuple, up to TIME-WAIT (then they are in `timeWait`). */
  readonly connections = new ChurnMap<string, TcpEndpoint>();
  readonly listeners = new Map<string, Listener>();
  /** The TIME-WAIT entries (`timeWait.table`: their 4-tuples, counts, expiries). */
  readonly timeWait: TimeWaitSockets;
  /** Endpoints something happened to, for the layer above (takeTouched). */
  private touchedEndpoints = new TouchList<TcpEndpoint>();
  private touchedListeners = new TouchList<Listener>();
  /** What takeTouched handed out last time: the lists take turns (see takeTouched). */
  private readonly taken: { endpoints: TouchList<TcpEndpoint>; listeners: TouchList<Listener> } = { endpoints: new TouchList(), listeners: new TouchList() };
  /** Endpoints whose output and deadline `flush` has to see to. */
  private readonly dirty = new TouchList<TcpEndpoint>();
  /** Every connection's next deadline, and the TIME-WAIT table's (the table itself as value). */
  private readonly wheel = new TimerWheel<TcpEndpoint | TimeWaitSockets>();
  private timeWaitTimer: DueHandle | undefined;
  private readonly somaxconn: number;
  private readonly portRange: [number, number];
  private readonly isns: InitialSequenceNumbers;
  private readonly cookies: SynCookies;
  private readonly ports: EphemeralPorts;
  readonly bindings: BindTable;
  private readonly endpointBindings = new ChurnMap<TcpEndpoint, { binding: Binding; reuseAddress: boolean }>();
  private readonly listenerBindings = new Map<Listener, Binding>();
  /** net.ipv4.tcp_tw_reuse, changeable while running as the sysctl is. */
  tcpTwReuse: 0 | 1 | 2;
  /** net.ipv4.tcp_syncookies, likewise. */
  tcpSyncookies: 0 | 1 | 2;
  /** The tunables new connections get (src/tcp/config.ts); `configure` changes them. */
  private tcp: Partial<TcpConfig>;
  /** `tcp` with the defaults filled in: what TIME-WAIT entries and SYN cookies read. */
  private config: TcpConfig;
  /** Counters of connections that are gone, so the totals never go down. */
  private readonly retired: TcpCounters = newCounters();
  /** The path MTU toward a host when the stack learned one below the link's (its path MTU
   *  cache, src/stack/pmtu-cache.ts): new connections to it start with that MTU. */
  pathMtu: ((remote: IpAddress, now: number) => number | undefined) | undefined;

  constructor(
    private readonly addresses: readonly IpAddress[],
    private readonly mtu: number,
    private readonly counters: Counters,
    private readonly send: (packet: Uint8Array) => void,
    private readonly options: TcpLayerOptions = {},
  ) {
    const secret = options.secret ?? randomBytes(16);
    this.tcpTwReuse = options.tcpTwReuse ?? 2;
    this.tcpSyncookies = options.tcpSyncookies ?? 1;
    this.tcp = { ...options.tcp };
    this.config = tcpConfig(this.tcp);
    this.somaxconn = options.somaxconn ?? DEFAULT_SOMAXCONN;
    this.portRange = options.ipLocalPortRange ?? [32768, 60999];
    // Every key from one secret, so a test that fixes the secret fixes everything.
    const derive = (n: number) => Uint8Array.from(secret, (b, i) => (b + n * 31 + i) & 0xff);
    this.isns = new InitialSequenceNumbers({ isnSecret: secret, tsSecret: derive(1) });
    this.ports = new EphemeralPorts({ ipLocalPortRange: this.portRange, secret: derive(2) });
    this.cookies = new SynCookies(Uint8Array.from([...derive(3), ...derive(4)]));
    this.bindings = new BindTable(this.ports);
    const seed = derive(5);
    this.timeWait = new TimeWaitSockets({
      tcpMaxTwBuckets: options.tcpMaxTwBuckets,
      seed: seed[0] | (seed[1] << 8) | (seed[2] << 16) | (seed[3] << 24),
      bindings: this.bindings,
      counters,
      send,
      events: options.events,
    });
  }

  // ------------------------------------------------------------------------------------------
  // Socket calls

  /**
   * listen(): binds the port with Linux's rules (src/stack/bind-table.ts: EADDRINUSE when an
   * overlapping socket holds it, unless both have SO_REUSEADDR and it is not listening, so a
   * TIME-WAIT connection blocks a listener without `reuseAddress`), then listens.
   */
  listen(options: { address?: IpAddress; family?: 4 | 6; port: number; backlog?: number; reuseAddress?: boolean }): Listener {
    const family = options.address !== undefined ? ipFamily(options.address) : (options.family ?? 4);
    if (options.address !== undefined && !this.addresses.some((a) => ipEquals(a, options.address!))) {
      throw new StackError('EADDRNOTAVAIL', `cannot listen on an address the stack does not have; its addresses are set when the stack is created`);
    }
    const reuseAddress = options.reuseAddress ?? false;
    const bound = this.bindings.bind({ address: options.address, family, port: options.port, reuseAddress, v6only: true });
    if (!bound.ok) throw new StackError(bound.code, bound.message);
    const listening = this.bindings.listen(bound.binding);
    if (!listening.ok) {
      this.bindings.release(bound.binding);
      throw new StackError(listening.code, listening.message);
    }
    const listener = new Listener({ address: options.address, family, port: bound.binding.port, backlog: options.backlog ?? 511, somaxconn: this.somaxconn, reuseAddress });
    this.listeners.set(listenKey(options.address, listener.port, family), listener);
    this.listenerBindings.set(listener, bound.binding);
    return listener;
  }

  /** Stop listening: connections still in its queues are reset, as Linux's inet_csk_listen_stop. */
  unlisten(listener: Listener, now: number): void {
    listener.closed = true;
    for (const [key, l] of this.listeners) if (l === listener) this.listeners.delete(key);
    const binding = this.listenerBindings.get(listener);
    if (binding) this.bindings.release(binding);
    this.listenerBindings.delete(listener);
    for (const ep of [...listener.synQueue, ...listener.acceptQueue]) {
      ep.connection.abort(now);
      this.touch(ep);
      this.afterEvent(ep);
    }
    listener.synQueue.clear();
    listener.acceptQueue.length = 0;
    this.flush();
  }

  /**
   * connect(): an ephemeral port chosen as Linux's __inet_hash_connect does (EADDRNOTAVAIL when
   * none is free toward this destination; a 4-tuple in TIME-WAIT may be taken over under
   * tcpTwReuse), then the SYN.
   */
  connect(options: { remoteAddress: IpAddress; remotePort: number; localAddress?: IpAddress; localPort?: number }, now: number): TcpEndpoint {
    const family = ipFamily(options.remoteAddress);
    const localAddress = options.localAddress ?? this.addresses.find((a) => ipFamily(a) === family);
    if (localAddress === undefined) throw new StackError('EAFNOSUPPORT', `the stack has no IPv${family} address to connect from: give it one when it is created`);
    const remoteAddress = options.remoteAddress;
    const remotePort = options.remotePort;
    const keyFor = (port: number) => fourTupleKey(localAddress, port, remoteAddress, remotePort);
    const timeWaitOn = (port: number) => this.timeWait.lookup(localAddress, port, remoteAddress, remotePort);
    const reusable = (port: number) => {
      const slot = timeWaitOn(port);
      return slot >= 0 && this.timeWait.reusable(slot, now, this.tcpTwReuse);
    };
    let localPort = options.localPort;
    let reused = -1;
    if (localPort === undefined) {
      const choice = this.ports.connectPort(localAddress, remoteAddress, remotePort, {
        isBound: (port) => this.bindings.isBound(port),
        isInUse: (port) => this.connections.has(keyFor(port)) || timeWaitOn(port) >= 0,
        mayReuseTimeWait: reusable,
      });
      if (!choice.ok) throw new StackError('EADDRNOTAVAIL', `${choice.message}`);
      localPort = choice.port;
      if (choice.reusesTimeWait) reused = timeWaitOn(localPort);
    } else if (this.connections.has(keyFor(localPort)) || timeWaitOn(localPort) >= 0) {
      if (!reusable(localPort)) {
        throw new StackError('EADDRNOTAVAIL', `a connection from port ${localPort} to the same remote already exists: use another local port`);
      }
      reused = timeWaitOn(localPort);
    }
    let iss: number | undefined;
    if (reused >= 0) {
      // Linux __inet_check_established with tcp_twsk_unique: take the TIME-WAIT 4-tuple over with
      // write_seq = tw_snd_nxt + 65537 (TWRecycled counts these, and only these).
      iss = this.timeWait.reopenIss(reused);
      this.counters.inc('TcpExtTWRecycled');
      this.timeWait.end(reused, 'reuse', now);
      this.syncTimeWaitTimer();
    }
    const local = { address: localAddress, port: localPort };
    const remote = { address: remoteAddress, port: remotePort };
    const connection = Connection.connect({
      local,
      remote,
      iss: iss ?? this.isns.isn(local.address, local.port, remote.address, remote.port, now),
      now,
      mss: this.mss(family),
      pmtu: this.pathMtu?.(remoteAddress, now),
      config: this.tcp,
      tsOffset: this.isns.tsOffset(local.address, remote.address),
      events: this.sinkFor(local, remote),
    });
    const ep = new TcpEndpoint(keyFor(localPort), connection, local, remote);
    this.connections.set(ep.key, ep);
    this.endpointBindings.set(ep, { binding: this.bindings.addConnection(localAddress, localPort, false), reuseAddress: false });
    this.touch(ep);
    this.flush();
    return ep;
  }

  /** A port for listen({ port: 0 }): free of listeners and connections, from ip_local_port_range. */
  freeListenPort(family: 4 | 6): number {
    const [low, high] = this.portRange;
    for (let port = low; port <= high; port++) if (!this.bindings.isHeld(port) && !this.portListenedOn(port, family)) return port;
    throw new StackError('EADDRNOTAVAIL', `no free port in ip_local_port_range ${low}-${high} to listen on: give a port or widen the range`);
  }

  /** Change the tunables of connections opened from now on, like `sysctl -w` (e.g. msl). */
  configure(tcp: Partial<TcpConfig>): void {
    this.tcp = { ...this.tcp, ...tcp };
    this.config = tcpConfig(this.tcp);
  }

  /**
   * Endpoints and listeners something happened to since the last call, valid until the next
   * call: two pairs of lists take turns (this runs after every received batch, and copying them
   * into arrays was 5% of a connection's garbage). What is touched while the caller walks them
   * goes into the other pair, for the next call.
   */
  takeTouched(): { readonly endpoints: TouchList<TcpEndpoint>; readonly listeners: TouchList<Listener> } {
    const t = this.taken;
    const endpoints = this.touchedEndpoints;
    const listeners = this.touchedListeners;
    t.endpoints.clear();
    t.listeners.clear();
    this.touchedEndpoints = t.endpoints;
    this.touchedListeners = t.listeners;
    t.endpoints = endpoints;
    t.listeners = listeners;
    return t;
  }

  /** After the application acted on a connection (write, read, close...): send what it produced. */
  afterUserCall(ep: TcpEndpoint): void {
    this.touch(ep);
    this.flush();
  }

  // ------------------------------------------------------------------------------------------
  // Segment arrival

  input(ip: IpHeader, segment: TcpSegment, now: number): void {
    const key = fourTupleKey(ip.dst, segment.dstPort, ip.src, segment.srcPort);
    const ep = this.connections.get(key);
    if (ep) {
      const conn = ep.connection;
      // Linux tcp_check_req → listen_overflow: the handshake's final ACK finds the accept
      // queue full; it is dropped, the request stays in SYN-RECV and its SYN-ACK timer runs.
      if (ep.queue === 'syn' && ep.listener && (segment.flags & (TCP_ACK | TCP_SYN | TCP_RST)) === TCP_ACK && ep.listener.acceptQueueFull()) {
        this.counters.inc('TcpExtListenOverflows');
        this.counters.inc('TcpExtListenDrops');
        return;
      }
      conn.input(segment, now);
      this.touch(ep);
      this.afterEvent(ep);
      this.flush();
      return;
    }
    const slot = this.timeWait.lookup(ip.dst, segment.dstPort, ip.src, segment.srcPort);
    if (slot >= 0) {
      this.inputTimeWait(slot, ip, segment, now);
      return;
    }
    const listener = this.findListener(ip.dst, segment.dstPort);
    const control = segment.flags & (TCP_SYN | TCP_ACK | TCP_RST);
    if (listener && control === TCP_SYN) {
      this.passiveOpen(listener, ip, segment, now, undefined);
      return;
    }
    // Linux tcp_v4_cookie_check: an ACK (no SYN, no RST) to a listener may complete a handshake
    // whose SYN-ACK carried a cookie.
    if (listener && control === TCP_ACK && this.tcpSyncookies !== 0 && this.cookieAck(listener, ip, segment, now)) return;
    // RFC 9293 §3.10.7.1 (no connection) and §3.10.7.2 (LISTEN: an ACK gets a RST, a RST is
    // ignored).
    const rst = resetFor(ip, segment);
    if (rst) {
      this.counters.inc('TcpOutRsts');
      this.counters.inc('TcpOutSegs');
      this.send(rst);
    }
  }

  /**
   * A segment for a 4-tuple in TIME-WAIT (tcp_v4_rcv, do_time_wait). TCP_TW_SYN (RFC 6191 with
   * timestamps, RFC 1122 §4.2.2.13 without): a listener takes the SYN and the new connection
   * starts at ISN = old SND.NXT + 65537; without a listener the entry ACKs it (TCP_TW_ACK).
   */
  private inputTimeWait(slot: number, ip: IpHeader, segment: TcpSegment, now: number): void {
    const outcome = this.timeWait.input(slot, segment, now, this.config);
    if (outcome.reopen) {
      const listener = this.findListener(ip.dst, segment.dstPort);
      if (listener) {
        this.timeWait.end(slot, 'syn', now);
        this.syncTimeWaitTimer();
        this.passiveOpen(listener, ip, segment, now, outcome.iss);
        return;
      }
      this.timeWait.ackSyn(slot, now);
    }
    this.syncTimeWaitTimer();
  }

  /**
   * Linux tcp_conn_request. A SYN reopening a TIME-WAIT 4-tuple (`iss` given) skips the SYN
   * queue test ("TW buckets are converted to open requests without limitations"). A full SYN
   * queue (or tcp_syncookies = 2) means a cookie, or a drop when cookies are off
   * (tcp_syn_flood_action); then a full accept queue drops the SYN silently
   * (tcp_abort_on_overflow 0), cookie or not.
   */
  private passiveOpen(listener: Listener, ip: IpHeader, syn: TcpSegment, now: number, iss: number | undefined): void {
    let wantCookie = false;
    if ((this.tcpSyncookies === 2 || listener.synQueueFull()) && iss === undefined) {
      if (this.tcpSyncookies === 0) {
        this.counters.inc('TcpExtTCPReqQFullDrop');
        this.counters.inc('TcpExtListenDrops');
        return;
      }
      wantCookie = true;
      this.counters.inc('TcpExtTCPReqQFullDoCookies');
    }
    if (listener.acceptQueueFull()) {
      this.counters.inc('TcpExtListenOverflows');
      this.counters.inc('TcpExtListenDrops');
      return;
    }
    const local = { address: copyAddress(ip.dst), port: syn.dstPort };
    const remote = { address: copyAddress(ip.src), port: syn.srcPort };
    if (wantCookie) {
      this.sendCookie(listener, local, remote, syn, now);
      return;
    }
    const key = fourTupleKey(local.address, local.port, remote.address, remote.port);
    const connection = Connection.acceptSyn(syn, {
      local,
      remote,
      iss: iss ?? this.isns.isn(local.address, local.port, remote.address, remote.port, now),
      now,
      mss: this.mss(ipFamily(local.address)),
      pmtu: this.pathMtu?.(remote.address, now),
      config: this.tcp,
      tsOffset: this.isns.tsOffset(local.address, remote.address),
      events: this.sinkFor(local, remote),
    });
    const ep = this.adopt(listener, key, connection, local, remote);
    this.touch(ep);
    this.afterEvent(ep);
    this.flush();
  }

  /**
   * The ICMP error path (src/stack/icmp-errors.ts): the connection a quoted segment came from
   * (our address and port, the peer's) is handed to `deliver`; what it produced is then sent,
   * and a connection it closed removed, as after a segment. Undefined when there is none.
   */
  deliverIcmp<R>(local: IpAddress, localPort: number, remote: IpAddress, remotePort: number, deliver: (ep: TcpEndpoint) => R): R | undefined {
    const ep = this.connections.get(fourTupleKey(local, localPort, remote, remotePort));
    if (ep === undefined) return undefined;
    const result = deliver(ep);
    this.touch(ep);
    this.afterEvent(ep);
    this.flush();
    return result;
  }

  /** A passive connection joins its listener's SYN queue, and holds the listener's port with
   *  the listener's SO_REUSEADDR. */
  private adopt(listener: Listener, key: string, connection: Connection, local: Endpoint, remote: Endpoint): TcpEndpoint {
    const ep = new TcpEndpoint(key, connection, local, remote);
    this.endpointBindings.set(ep, { binding: this.bindings.addConnection(local.address, local.port, listener.reuseAddress), reuseAddress: listener.reuseAddress });
    ep.listener = listener;
    ep.queue = 'syn';
    listener.synQueue.add(ep);
    this.connections.set(key, ep);
    return ep;
  }

  /**
   * The SYN-ACK of a SYN cookie (cookie_v4_init_sequence): no request is kept; the ISN encodes
   * the MSS class and the minute, the TSval the other options (syn-cookies.ts).
   */
  private sendCookie(listener: Listener, local: Endpoint, remote: Endpoint, syn: TcpSegment, now: number): void {
    const tuple: CookieTuple = { localAddress: local.address, localPort: local.port, remoteAddress: remote.address, remotePort: remote.port };
    const { iss } = this.cookies.initSequence(tuple, syn.seq, syn.mss ?? DEFAULT_PEER_MSS, now);
    // tcp_synq_overflow: ACKs to this listener are checked for cookies for the next 2 minutes.
    listener.lastSynCookieAt = now;
    this.counters.inc('TcpExtSyncookiesSent');
    const synAck = cookieSynAck({
      syn,
      iss,
      mss: this.mss(ipFamily(local.address)),
      tsClock: Math.floor(now),
      tsOffset: this.isns.tsOffset(local.address, remote.address),
      config: this.config,
    });
    this.counters.inc('TcpOutSegs');
    this.sendSegment(synAck, local, remote);
  }

  /**
   * Linux cookie_v4_check: an ACK to a listener that sent cookies lately may return one. A bad
   * cookie (SyncookiesFailed) or options the sysctls now refuse leave it to the listener, which
   * answers with RST; a good one (SyncookiesRecv) makes the connection straight into the accept
   * queue, unless that is full (tcp_v4_syn_recv_sock: ListenOverflows, the ACK is dropped and the
   * client, which believes it is connected, will retransmit). Returns whether it was handled.
   */
  private cookieAck(listener: Listener, ip: IpHeader, ack: TcpSegment, now: number): boolean {
    if (listener.noRecentSynCookie(now, SYN_COOKIE_VALID_MS)) return false;
    const local = { address: copyAddress(ip.dst), port: ack.dstPort };
    const remote = { address: copyAddress(ip.src), port: ack.srcPort };
    const tuple: CookieTuple = { localAddress: local.address, localPort: local.port, remoteAddress: remote.address, remotePort: remote.port };
    const mss = this.cookies.check(tuple, ack.ack, ack.seq, now);
    if (mss === 0) {
      this.counters.inc('TcpExtSyncookiesFailed');
      return false;
    }
    this.counters.inc('TcpExtSyncookiesRecv');
    const tsOffset = this.isns.tsOffset(local.address, remote.address);
    const options = cookieOptionsFromAck(ack, tsOffset, this.config);
    if (options === undefined) return false;
    if (listener.acceptQueueFull()) {
      this.counters.inc('TcpExtListenOverflows');
      this.counters.inc('TcpExtListenDrops');
      return true;
    }
    const connection = Connection.acceptCookie(synFromCookie(ack, mss, options), {
      local,
      remote,
      iss: (ack.ack - 1) >>> 0,
      now,
      mss: this.mss(ipFamily(local.address)),
      config: this.tcp,
      tsOffset,
      events: this.sinkFor(local, remote),
    });
    const ep = this.adopt(listener, fourTupleKey(local.address, local.port, remote.address, remote.port), connection, local, remote);
    connection.input(ack, now);
    this.touch(ep);
    this.afterEvent(ep);
    this.flush();
    return true;
  }

  // ------------------------------------------------------------------------------------------
  // Timers

  /** The earliest deadline of every connection and TIME-WAIT entry, exact to the ms. */
  nextDeadline(): number | undefined {
    return this.wheel.nextDeadline();
  }

  /** Fire what is due at `now`: only the connections (and entries) whose deadline passed. */
  poll(now: number): void {
    this.wheel.advance(now, (due) => {
      if (due === this.timeWait) {
        this.timeWait.expire(now);
        return;
      }
      const ep = due as TcpEndpoint;
      if (this.connections.get(ep.key) !== ep) return;
      ep.connection.poll(now);
      this.touch(ep);
      this.afterEvent(ep);
    });
    this.syncTimeWaitTimer();
    this.flush();
  }

  /** The wheel holds `ep`'s current deadline (or nothing, when none runs or it is gone). */
  private schedule(ep: TcpEndpoint): void {
    const live = ep.timeWait === undefined && this.connections.get(ep.key) === ep;
    const deadline = live ? ep.connection.nextDeadline() : undefined;
    ep.timer = this.rearm(ep.timer as DueHandle | undefined, deadline, ep);
  }

  /** The wheel holds the TIME-WAIT table's earliest expiry. */
  private syncTimeWaitTimer(): void {
    this.timeWaitTimer = this.rearm(this.timeWaitTimer, this.timeWait.nextExpiry(), this.timeWait);
  }

  private rearm(
    handle: DueHandle | undefined,
    deadline: number | undefined,
    value: TcpEndpoint | TimeWaitSockets,
  ): DueHandle | undefined {
    if (deadline === undefined) {
      if (handle?.pending) this.wheel.cancel(handle);
      return handle;
    }
    if (handle === undefined) return this.wheel.insert(deadline, value);
    if (!handle.pending || handle.deadline !== deadline) this.wheel.reschedule(handle, deadline);
    return handle;
  }

  /**
   * The socket table at `now`: every listener and every connection, TIME-WAIT included, as
   * `ss -tan` lists them. Half-open requests in a SYN queue show 0 and 0 as Linux's request
   * sockets do; so does TIME-WAIT.
   */
  sockets(now: number): SocketRow[] {
    const rows: SocketRow[] = [];
    this.timeWait.rows(rows);
    for (const l of this.listeners.values()) {
      rows.push({
        state: 'LISTEN',
        family: l.family,
        local: { address: l.address, port: l.port },
        remote: undefined,
        recvQ: l.acceptQueue.length,
        sendQ: l.backlog,
        timer: undefined,
        synQueue: l.synQueue.size,
        owner: 'listener',
      });
    }
    for (const ep of this.connections.values()) {
      const c = ep.connection;
      const counters = c.counters;
      const state = c.stateName;
      const quiet = ep.queue === 'syn';
      rows.push({
        state,
        family: ipFamily(ep.local.address),
        local: ep.local,
        remote: ep.remote,
        recvQ: quiet ? 0 : c.recvQ,
        sendQ: quiet ? 0 : c.sendQ,
        timer: c.activeTimer(now),
        info: {
          congestion: c.congestionControl,
          caState: c.caState,
          cwnd: c.cwnd,
          ssthresh: c.ssthresh,
          srtt: c.srtt,
          rttvar: c.rttvar,
          rto: c.rto,
          mss: c.sendMss,
          rcvWnd: c.rcvWnd,
          sndWnd: c.sndWnd,
          bytesAcked: counters.bytesAcked,
          bytesReceived: counters.bytesReceived,
          retransSegs: counters.retransSegs,
          ...c.negotiated,
          bytesSent: counters.bytesSent,
          segsOut: counters.outSegs,
          segsIn: counters.inSegs,
          ...c.rcvSpaceInfo,
        },
        owner: ep.queue === 'syn' ? 'syn-queue' : ep.queue === 'accept' ? 'accept-queue' : c.orphaned ? 'orphan' : 'app',
      });
    }
    return rows;
  }

  /** Every engine's counters added up, those of closed connections included. */
  counterTotals(): TcpCounters {
    const total = { ...this.retired };
    for (const ep of this.connections.values()) ep.connection.addCountersTo(total);
    return total;
  }

  // ------------------------------------------------------------------------------------------

  private afterEvent(ep: TcpEndpoint): void {
    const state = ep.connection.stateName;
    if (state === 'TIME-WAIT' && ep.timeWait === undefined && this.connections.get(ep.key) === ep) {
      // Linux tcp_time_wait: the socket is done; a compact entry takes its 4-tuple and its hold
      // on the port (released by inet_twsk_bind_unhash when it ends). The engine stays with the
      // application, which may still read what it received.
      const reuseAddress = this.endpointBindings.get(ep)?.reuseAddress ?? false;
      this.remove(ep);
      ep.timeWait = this.timeWait.enter(ep.connection, ep.local, ep.remote, reuseAddress);
      this.syncTimeWaitTimer();
      return;
    }
    const listener = ep.listener;
    if (listener && ep.queue === 'syn' && state !== 'SYN-RECEIVED') {
      listener.synQueue.delete(ep);
      if (state === 'CLOSED') {
        ep.queue = 'none';
      } else {
        // Handshake complete: wait in the accept queue (its room was checked before the ACK).
        ep.queue = 'accept';
        listener.acceptQueue.push(ep);
        this.touchedListeners.add(listener);
      }
    }
    if (state === 'CLOSED') {
      this.flushEndpoint(ep);
      this.remove(ep);
    }
  }

  private remove(ep: TcpEndpoint): void {
    if (this.connections.get(ep.key) !== ep) return;
    this.connections.delete(ep.key);
    if (ep.timer?.pending) this.wheel.cancel(ep.timer as DueHandle);
    const hold = this.endpointBindings.get(ep);
    if (hold) {
      this.bindings.release(hold.binding);
      this.endpointBindings.delete(ep);
    }
    const listener = ep.listener;
    if (listener) {
      listener.synQueue.delete(ep);
      const i = listener.acceptQueue.indexOf(ep);
      if (i >= 0) listener.acceptQueue.splice(i, 1);
    }
    ep.connection.addCountersTo(this.retired);
  }

  /** Accepting hands the connection to the application: it leaves the listener's queue. */
  accept(listener: Listener): TcpEndpoint | undefined {
    const ep = listener.accept();
    if (ep) {
      ep.queue = 'none';
      ep.listener = undefined;
    }
    return ep;
  }

  private touch(ep: TcpEndpoint): void {
    this.touchedEndpoints.add(ep);
    this.dirty.add(ep);
  }

  /** Send what the touched connections produced and file their new deadlines. */
  private flush(): void {
    const dirty = this.dirty;
    for (let i = 0; i < dirty.length; i++) {
      const ep = dirty.at(i);
      this.flushEndpoint(ep);
      this.schedule(ep);
    }
    dirty.clear();
  }

  private flushEndpoint(ep: TcpEndpoint): void {
    for (const s of ep.connection.takeOutput()) this.sendSegment(s, ep.local, ep.remote);
  }

  private sendSegment(s: OutgoingSegment, local: Endpoint, remote: Endpoint): void {
    this.send(segmentPacket(s, local, remote, this.options.checksumOffload ?? false));
  }

  private findListener(address: IpAddress, port: number): Listener | undefined {
    return this.listeners.get(listenKey(address, port, ipFamily(address))) ?? this.listeners.get(listenKey(undefined, port, ipFamily(address)));
  }

  private portListenedOn(port: number, family: 4 | 6): boolean {
    for (const l of this.listeners.values()) if (l.port === port && l.family === family) return true;
    return false;
  }

  private sinkFor(local: Endpoint, remote: Endpoint): TcpEventSink | undefined {
    const events = this.options.events;
    return events ? (event) => events(event, local, remote) : undefined;
  }

  private mss(family: 4 | 6): number {
    return this.mtu - (family === 4 ? 40 : 60);
  }

}

function copyAddress(address: IpAddress): IpAddress {
  return typeof address === 'number' ? address : address.slice();
}

