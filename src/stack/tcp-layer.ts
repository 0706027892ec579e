// TCP in the host: demultiplexing segments to connections by 4-tuple, listeners with
// their SYN and accept queues, active opens with ephemeral ports, and the segments for
// no connection (RSTs). Sans-IO like the rest of src/stack: time comes in as `now`.
import { randomBytes } from 'node:crypto';
import { ipEquals, ipFamily, type IpAddress } from '../wire/address.js';
import { seqAdd } from '../wire/seq.js';
import type { IpHeader } from '../wire/packet.js';
import { TCP_ACK, TCP_RST, TCP_SYN, type TcpSegment } from '../wire/tcp.js';
import { Connection } from '../tcp/connection.js';
import type { TcpConfig } from '../tcp/config.js';
import { newCounters, type TcpCounters } from '../tcp/counters.js';
import type { TcpEvent, TcpEventSink } from '../tcp/events.js';
import type { Endpoint } from '../tcp/outgoing-segment.js';
import { BindTable, type Binding } from './bind-table.js';
import type { Counters } from './counters.js';
import { EphemeralPorts } from './ephemeral-ports.js';
import { InitialSequenceNumbers } from './isn.js';
import { fourTupleKey, listenKey } from './four-tuple.js';
import { segmentPacket } from './ip-output.js';
import { DEFAULT_SOMAXCONN, Listener } from './listener.js';
import { resetFor } from './reset.js';
import type { SocketRow } from './socket-row.js';
import { TcpEndpoint } from './tcp-endpoint.js';

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
  /** The link finishes TCP checksums (and cuts super-segments): segments leave with a partial
   *  checksum (src/wire/partial-checksum.ts). Set by the net layer from the link's offloads. */
  checksumOffload?: boolean;
}

export class TcpLayer {
  readonly connections = new Map<string, TcpEndpoint>();
  readonly listeners = new Map<string, Listener>();
  private readonly touchedEndpoints = new Set<TcpEndpoint>();
  private readonly touchedListeners = new Set<Listener>();
  private readonly somaxconn: number;
  private readonly portRange: [number, number];
  private readonly isns: InitialSequenceNumbers;
  private readonly ports: EphemeralPorts;
  readonly bindings: BindTable;
  private readonly endpointBindings = new Map<TcpEndpoint, { binding: Binding | undefined; reuseAddress: boolean; timeWait: boolean }>();
  private readonly listenerBindings = new Map<Listener, Binding>();
  /** net.ipv4.tcp_tw_reuse, changeable while running as the sysctl is. */
  tcpTwReuse: 0 | 1 | 2;
  /** The tunables new connections get (src/tcp/config.ts); `configure` changes them. */
  private tcp: Partial<TcpConfig>;
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
    this.tcp = { ...options.tcp };
    this.somaxconn = options.somaxconn ?? DEFAULT_SOMAXCONN;
    this.portRange = options.ipLocalPortRange ?? [32768, 60999];
    // Three keys from one secret, so a test that fixes the secret fixes everything.
    const derive = (n: number) => Uint8Array.from(secret, (b, i) => (b + n * 31 + i) & 0xff);
    this.isns = new InitialSequenceNumbers({ isnSecret: secret, tsSecret: derive(1) });
    this.ports = new EphemeralPorts({ ipLocalPortRange: this.portRange, secret: derive(2) });
    this.bindings = new BindTable(this.ports);
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
    let localPort = options.localPort;
    let reused: TcpEndpoint | undefined;
    if (localPort === undefined) {
      const choice = this.ports.connectPort(localAddress, remoteAddress, remotePort, {
        isBound: (port) => this.bindings.isBound(port),
        isInUse: (port) => this.connections.has(keyFor(port)),
        mayReuseTimeWait: (port) => this.timeWaitReusable(this.connections.get(keyFor(port)), now),
      });
      if (!choice.ok) throw new StackError('EADDRNOTAVAIL', `${choice.message}`);
      localPort = choice.port;
      if (choice.reusesTimeWait) reused = this.connections.get(keyFor(localPort));
    } else if (this.connections.has(keyFor(localPort))) {
      const existing = this.connections.get(keyFor(localPort))!;
      if (!this.timeWaitReusable(existing, now)) {
        throw new StackError('EADDRNOTAVAIL', `a connection from port ${localPort} to the same remote already exists: use another local port`);
      }
      reused = existing;
    }
    let iss: number | undefined;
    if (reused) {
      // Linux tcp_twsk_unique: take over the TIME-WAIT 4-tuple with write_seq = tw_snd_nxt + 65537.
      iss = seqAdd(reused.connection.sndNxt, 65537) || 1;
      this.counters.inc('TcpExtTWRecycled');
      this.remove(reused);
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
    this.endpointBindings.set(ep, { binding: this.bindings.addConnection(localAddress, localPort, false), reuseAddress: false, timeWait: false });
    this.touch(ep);
    this.flush();
    return ep;
  }

  /**
   * tcp_tw_reuse (Linux tcp_twsk_unique): a 4-tuple in TIME-WAIT may be reused by connect()
   * when the policy allows it here, the old connection used timestamps (so PAWS keeps its old
   * duplicates out of the new one), and it has been in TIME-WAIT for at least 1 s.
   */
  private timeWaitReusable(ep: TcpEndpoint | undefined, now: number): boolean {
    if (!ep || ep.connection.stateName !== 'TIME-WAIT') return false;
    let policy = this.tcpTwReuse;
    if (policy === 2 && !isLoopback(ep.local.address) && !isLoopback(ep.remote.address)) policy = 0;
    const record = ep.connection.timeWaitRecord();
    if (policy === 0 || record?.tsRecent === undefined) return false;
    const st = ep.connection.state;
    return st.name === 'TIME-WAIT' && now >= st.enteredAt + 1000;
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
  }

  /** Endpoints and listeners something happened to since the last call. */
  takeTouched(): { endpoints: TcpEndpoint[]; listeners: Listener[] } {
    const result = { endpoints: [...this.touchedEndpoints], listeners: [...this.touchedListeners] };
    this.touchedEndpoints.clear();
    this.touchedListeners.clear();
    return result;
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
      // RFC 6191 / Linux tcp_timewait_state_process: a new SYN may reopen a 4-tuple in TIME-WAIT.
      if (conn.stateName === 'TIME-WAIT' && (segment.flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN) {
        const iss = conn.acceptsNewSyn(segment);
        if (iss !== undefined) {
          this.remove(ep);
          const listener = this.findListener(ip.dst, segment.dstPort);
          if (listener) {
            this.counters.inc('TcpExtTWRecycled');
            this.passiveOpen(listener, ip, segment, now, iss);
            return;
          }
        }
      }
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
    const listener = this.findListener(ip.dst, segment.dstPort);
    if (listener && (segment.flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN) {
      this.passiveOpen(listener, ip, segment, now, undefined);
      return;
    }
    // RFC 9293 §3.10.7.1 (no connection) and §3.10.7.2 (LISTEN: an ACK gets a RST, a RST is
    // ignored).
    const rst = resetFor(ip, segment);
    if (rst) {
      this.counters.inc('TcpOutRsts');
      this.counters.inc('TcpOutSegs');
      this.send(rst);
    }
  }

  private passiveOpen(listener: Listener, ip: IpHeader, syn: TcpSegment, now: number, iss: number | undefined): void {
    // Linux tcp_conn_request: a full accept queue drops the SYN silently (tcp_abort_on_overflow
    // 0); so does a full SYN queue when SYN cookies are not in use.
    if (listener.acceptQueueFull()) {
      this.counters.inc('TcpExtListenOverflows');
      this.counters.inc('TcpExtListenDrops');
      return;
    }
    if (listener.synQueueFull()) {
      this.counters.inc('TcpExtTCPReqQFullDrop');
      this.counters.inc('TcpExtListenDrops');
      return;
    }
    const local = { address: copyAddress(ip.dst), port: syn.dstPort };
    const remote = { address: copyAddress(ip.src), port: syn.srcPort };
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
    const ep = new TcpEndpoint(key, connection, local, remote);
    // An accepted connection holds its listener's port, with the listener's SO_REUSEADDR.
    this.endpointBindings.set(ep, { binding: this.bindings.addConnection(local.address, local.port, listener.reuseAddress), reuseAddress: listener.reuseAddress, timeWait: false });
    ep.listener = listener;
    ep.queue = 'syn';
    listener.synQueue.add(ep);
    this.connections.set(key, ep);
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

  // ------------------------------------------------------------------------------------------
  // Timers

  nextDeadline(): number | undefined {
    let earliest: number | undefined;
    for (const ep of this.connections.values()) {
      const d = ep.connection.nextDeadline();
      if (d !== undefined && (earliest === undefined || d < earliest)) earliest = d;
    }
    return earliest;
  }

  poll(now: number): void {
    for (const ep of [...this.connections.values()]) {
      const d = ep.connection.nextDeadline();
      if (d === undefined || d > now) continue;
      ep.connection.poll(now);
      this.touch(ep);
      this.afterEvent(ep);
    }
    this.flush();
  }

  /**
   * The socket table at `now`: every listener and every connection, TIME-WAIT included, as
   * `ss -tan` lists them. Half-open requests in a SYN queue show 0 and 0 as Linux's request
   * sockets do; so does TIME-WAIT.
   */
  sockets(now: number): SocketRow[] {
    const rows: SocketRow[] = [];
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
      const state = c.stateName;
      const quiet = state === 'TIME-WAIT' || ep.queue === 'syn';
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
          bytesAcked: c.counters.bytesAcked,
          bytesReceived: c.counters.bytesReceived,
          retransSegs: c.counters.retransSegs,
          ...c.negotiated,
          bytesSent: c.counters.bytesSent,
          segsOut: c.counters.outSegs,
          segsIn: c.counters.inSegs,
        },
        owner: state === 'TIME-WAIT' ? 'time-wait' : ep.queue === 'syn' ? 'syn-queue' : ep.queue === 'accept' ? 'accept-queue' : c.orphaned ? 'orphan' : 'app',
      });
    }
    return rows;
  }

  /** Every engine's counters added up, those of closed connections included. */
  counterTotals(): TcpCounters {
    const total = { ...this.retired };
    for (const ep of this.connections.values()) addCounters(total, ep.connection.counters);
    return total;
  }

  // ------------------------------------------------------------------------------------------

  private afterEvent(ep: TcpEndpoint): void {
    const state = ep.connection.stateName;
    const hold = this.endpointBindings.get(ep);
    if (hold && state === 'TIME-WAIT' && !hold.timeWait) {
      // The socket is gone; its TIME-WAIT keeps holding the port (inet_twsk_bind_unhash later).
      if (hold.binding) this.bindings.release(hold.binding);
      hold.binding = undefined;
      hold.timeWait = true;
      this.bindings.addTimeWait(ep.local.address, ep.local.port, hold.reuseAddress);
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
    if (this.connections.get(ep.key) === ep) this.connections.delete(ep.key);
    const hold = this.endpointBindings.get(ep);
    if (hold) {
      if (hold.binding) this.bindings.release(hold.binding);
      if (hold.timeWait) this.bindings.removeTimeWait(ep.local.address, ep.local.port, hold.reuseAddress);
      this.endpointBindings.delete(ep);
    }
    const listener = ep.listener;
    if (listener) {
      listener.synQueue.delete(ep);
      const i = listener.acceptQueue.indexOf(ep);
      if (i >= 0) listener.acceptQueue.splice(i, 1);
    }
    addCounters(this.retired, ep.connection.counters);
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
  }

  private flush(): void {
    for (const ep of this.touchedEndpoints) this.flushEndpoint(ep);
  }

  private flushEndpoint(ep: TcpEndpoint): void {
    const segments = ep.connection.takeOutput();
    for (const s of segments) {
      this.send(segmentPacket(s, ep.local, ep.remote, this.options.checksumOffload ?? false));
    }
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

function isLoopback(address: IpAddress): boolean {
  if (typeof address === 'number') return address >>> 24 === 127;
  return address.every((b, i) => b === (i === 15 ? 1 : 0));
}

function copyAddress(address: IpAddress): IpAddress {
  return typeof address === 'number' ? address : address.slice();
}

/** The counters' names, listed once: every closed connection is added up (Object.keys per
 *  call showed at 4% of a connection-rate profile). */
const COUNTER_NAMES = Object.keys(newCounters()) as (keyof TcpCounters)[];

function addCounters(into: TcpCounters, from: TcpCounters): void {
  for (const k of COUNTER_NAMES) into[k] += from[k];
}
