// TCP in the host: demultiplexing segments to connections by 4-tuple, listeners with
// their SYN and accept queues, active opens with ephemeral ports, and the segments for
// no connection (RSTs). Sans-IO like the rest of src/stack: time comes in as `now`.
import { createHash, randomBytes } from 'node:crypto';
import { ipEquals, ipFamily, type IpAddress } from '../wire/address.js';
import { IPPROTO_TCP } from '../wire/ip-protocol.js';
import type { IpHeader } from '../wire/packet.js';
import { TCP_ACK, TCP_RST, TCP_SYN, buildTcpSegment, type TcpSegment } from '../wire/tcp.js';
import { Connection } from '../tcp/connection.js';
import type { TcpConfig } from '../tcp/config.js';
import { newCounters, type TcpCounters } from '../tcp/counters.js';
import type { TcpEvent, TcpEventSink } from '../tcp/events.js';
import type { Endpoint } from '../tcp/outgoing-segment.js';
import { toTcpSegmentFields } from '../tcp/outgoing-segment.js';
import type { Counters } from './counters.js';
import { fourTupleKey, listenKey } from './four-tuple.js';
import { ipPacket } from './ip-output.js';
import { DEFAULT_SOMAXCONN, Listener } from './listener.js';
import { resetFor } from './reset.js';
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
  /** 128-bit secret for ISNs; random by default (tests fix it). */
  secret?: Uint8Array;
}

export class TcpLayer {
  readonly connections = new Map<string, TcpEndpoint>();
  readonly listeners = new Map<string, Listener>();
  private readonly touchedEndpoints = new Set<TcpEndpoint>();
  private readonly touchedListeners = new Set<Listener>();
  private readonly secret: Uint8Array;
  private readonly somaxconn: number;
  private readonly portRange: [number, number];
  /** Counters of connections that are gone, so the totals never go down. */
  private readonly retired: TcpCounters = newCounters();

  constructor(
    private readonly addresses: readonly IpAddress[],
    private readonly mtu: number,
    private readonly counters: Counters,
    private readonly send: (packet: Uint8Array) => void,
    private readonly options: TcpLayerOptions = {},
  ) {
    this.secret = options.secret ?? randomBytes(16);
    this.somaxconn = options.somaxconn ?? DEFAULT_SOMAXCONN;
    this.portRange = options.ipLocalPortRange ?? [32768, 60999];
  }

  // ------------------------------------------------------------------------------------------
  // Socket calls

  /** listen(): EADDRINUSE when the port is taken (see bind rules in DESIGN.md). */
  listen(options: { address?: IpAddress; family?: 4 | 6; port: number; backlog?: number }): Listener {
    const family = options.address !== undefined ? ipFamily(options.address) : (options.family ?? 4);
    if (options.address !== undefined && !this.addresses.some((a) => ipEquals(a, options.address!))) {
      throw new StackError('EADDRNOTAVAIL', `cannot listen on an address the stack does not have; its addresses are set when the stack is created`);
    }
    const key = listenKey(options.address, options.port, family);
    const wildcard = listenKey(undefined, options.port, family);
    if (this.listeners.has(key) || this.listeners.has(wildcard) || (options.address === undefined && this.portListenedOn(options.port, family))) {
      throw new StackError('EADDRINUSE', `port ${options.port} already has a listener: close it first or pick another port`);
    }
    const listener = new Listener({ address: options.address, family, port: options.port, backlog: options.backlog ?? 511, somaxconn: this.somaxconn });
    this.listeners.set(key, listener);
    return listener;
  }

  /** Stop listening: connections still in its queues are reset, as Linux's inet_csk_listen_stop. */
  unlisten(listener: Listener, now: number): void {
    listener.closed = true;
    for (const [key, l] of this.listeners) if (l === listener) this.listeners.delete(key);
    for (const ep of [...listener.synQueue, ...listener.acceptQueue]) {
      ep.connection.abort(now);
      this.touch(ep);
    }
    listener.synQueue.clear();
    listener.acceptQueue.length = 0;
    this.flush();
  }

  /** connect(): an ephemeral port (EADDRNOTAVAIL when none is free), then the SYN. */
  connect(options: { remoteAddress: IpAddress; remotePort: number; localAddress?: IpAddress; localPort?: number }, now: number): TcpEndpoint {
    const family = ipFamily(options.remoteAddress);
    const localAddress = options.localAddress ?? this.addresses.find((a) => ipFamily(a) === family);
    if (localAddress === undefined) throw new StackError('EAFNOSUPPORT', `the stack has no IPv${family} address to connect from: give it one when it is created`);
    const localPort = options.localPort ?? this.ephemeralPort(localAddress, options.remoteAddress, options.remotePort);
    const key = fourTupleKey(localAddress, localPort, options.remoteAddress, options.remotePort);
    if (this.connections.has(key)) throw new StackError('EADDRINUSE', `a connection from port ${localPort} to the same remote already exists: use another local port`);
    const local = { address: localAddress, port: localPort };
    const remote = { address: options.remoteAddress, port: options.remotePort };
    const connection = Connection.connect({ local, remote, iss: this.isn(local.address, local.port, remote.address, remote.port, now), now, mss: this.mss(family), config: this.options.tcp, events: this.sinkFor(local, remote) });
    const ep = new TcpEndpoint(key, connection, local, remote);
    this.connections.set(key, ep);
    this.touch(ep);
    this.flush();
    return ep;
  }

  /** A port for listen({ port: 0 }): free of listeners and connections, from ip_local_port_range. */
  freeListenPort(family: 4 | 6): number {
    const used = new Set<number>();
    for (const ep of this.connections.values()) used.add(ep.local.port);
    const [low, high] = this.portRange;
    for (let port = low; port <= high; port++) if (!used.has(port) && !this.portListenedOn(port, family)) return port;
    throw new StackError('EADDRNOTAVAIL', `no free port in ip_local_port_range ${low}-${high} to listen on: give a port or widen the range`);
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
      iss: iss ?? this.isn(local.address, local.port, remote.address, remote.port, now),
      now,
      mss: this.mss(ipFamily(local.address)),
      config: this.options.tcp,
      events: this.sinkFor(local, remote),
    });
    const ep = new TcpEndpoint(key, connection, local, remote);
    ep.listener = listener;
    ep.queue = 'syn';
    listener.synQueue.add(ep);
    this.connections.set(key, ep);
    this.touch(ep);
    this.afterEvent(ep);
    this.flush();
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

  /** Every engine's counters added up, those of closed connections included. */
  counterTotals(): TcpCounters {
    const total = { ...this.retired };
    for (const ep of this.connections.values()) addCounters(total, ep.connection.counters);
    return total;
  }

  // ------------------------------------------------------------------------------------------

  private afterEvent(ep: TcpEndpoint): void {
    const state = ep.connection.stateName;
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
      const tcp = buildTcpSegment(toTcpSegmentFields(s, ep.local, ep.remote), ep.local.address, ep.remote.address);
      this.send(ipPacket(ep.local.address, ep.remote.address, IPPROTO_TCP, tcp));
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

  /**
   * RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a timer
   * ticking every 4 µs, F a keyed hash (here SHA-256 of the secret and the 4-tuple).
   */
  private isn(localAddress: IpAddress, localPort: number, remoteAddress: IpAddress, remotePort: number, now: number): number {
    const h = createHash('sha256').update(this.secret).update(fourTupleKey(localAddress, localPort, remoteAddress, remotePort)).digest();
    return (h.readUInt32BE(0) + Math.floor(now * 250)) >>> 0;
  }

  /**
   * An ephemeral port in ip_local_port_range unused toward this remote (RFC 6056 §3.3.3-style:
   * a keyed-hash starting point per destination, then the next free one); EADDRNOTAVAIL when
   * every port toward it is taken (connections in TIME-WAIT included).
   */
  private ephemeralPort(localAddress: IpAddress, remoteAddress: IpAddress, remotePort: number): number {
    const [low, high] = this.portRange;
    const count = high - low + 1;
    const h = createHash('sha256').update(this.secret).update(`${fourTupleKey(localAddress, 0, remoteAddress, remotePort)}`).digest();
    const offset = h.readUInt32BE(0) % count;
    for (let i = 0; i < count; i++) {
      const port = low + ((offset + i) % count);
      if (!this.connections.has(fourTupleKey(localAddress, port, remoteAddress, remotePort)) && !this.portListenedOn(port, ipFamily(localAddress))) return port;
    }
    throw new StackError(
      'EADDRNOTAVAIL',
      `no free local port toward this remote in ip_local_port_range ${low}-${high}: widen the range, enable tcpTwReuse, or wait for TIME-WAIT to end`,
    );
  }
}

function copyAddress(address: IpAddress): IpAddress {
  return typeof address === 'number' ? address : address.slice();
}

function addCounters(into: TcpCounters, from: TcpCounters): void {
  for (const k of Object.keys(into) as (keyof TcpCounters)[]) into[k] += from[k];
}
