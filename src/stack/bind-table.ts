// Who holds which local port: Linux's bind hash (inet_bind_bucket) and the rules of bind() and
// listen() (inet_csk_get_port, inet_csk_bind_conflict, inet_bind_conflict in
// net/ipv4/inet_connection_sock.c), without SO_REUSEPORT and without devices (sk_bound_dev_if).
//
// A port is held by explicit bindings (bind(), then maybe listen()), by connections (connect()'s
// ephemeral port, and accepted connections, which share their listener's port: Linux's
// __inet_inherit_port), and by TIME-WAIT entries, which stay in the bind bucket until they end.
// The last are counted per (address, SO_REUSEADDR) rather than kept one by one, so a million
// TIME-WAIT entries cost the bind table a few bytes per port (a bucket and a count, no set of
// bindings until a socket binds it).
//
// The conflict rule (inet_bind_conflict, for two sockets whose addresses overlap):
//   both have SO_REUSEADDR and the other is not listening  → no conflict for bind()/listen()
//   anything else                                           → EADDRINUSE
// A TIME-WAIT entry keeps the SO_REUSEADDR flag of its socket (inet_twsk_alloc: tw_reuse =
// sk_reuse), and accepted connections inherit their listener's: so SO_REUSEADDR on a new server
// gets past the TIME-WAIT of an old one only if the old server's listener had it too. (Node's
// own net.Server always sets it, through libuv; tcplab's `reuseAddress` defaults to off so that
// the classic EADDRINUSE after a restart can be shown.)
//
// Addresses overlap when equal or when either is the wildcard of a shared family: an IPv4 socket
// and a dual-stack IPv6 wildcard socket ([::] without IPV6_V6ONLY, Linux's bindv6only = 0
// default) overlap on every IPv4 address; a v6only wildcard overlaps IPv6 only; an IPv4-mapped
// IPv6 address (::ffff:a.b.c.d) is treated as the IPv4 address it maps.
import { formatIpAddress, ipEquals, ipv4FromMappedAddress, type IpAddress, type Ipv6Address } from '../wire/address.js';
import type { EphemeralPorts } from './ephemeral-ports.js';
import { ChurnMap, ChurnSet } from './churn-map.js';

export interface BindRequest {
  /** The local address; undefined for the wildcard (INADDR_ANY / in6addr_any) of `family`. */
  readonly address?: IpAddress;
  /** The family of a wildcard binding; ignored when `address` is given. Default 4. */
  readonly family?: 4 | 6;
  /** 0 asks for an ephemeral port (Linux inet_csk_find_open_port). */
  readonly port: number;
  /** SO_REUSEADDR. */
  readonly reuseAddress?: boolean;
  /** IPV6_V6ONLY for an IPv6 wildcard binding; default false (dual-stack, as Linux and Node). */
  readonly v6only?: boolean;
}

export type BindingState = 'bound' | 'listen' | 'connected';

/** One socket's hold on a port. */
export class Binding {
  readonly family: 4 | 6;
  readonly address: IpAddress | undefined;
  readonly port: number;
  readonly reuseAddress: boolean;
  readonly v6only: boolean;
  state: BindingState;
  /** Where the binding covers IPv4 (any address: v4Any) and IPv6. */
  readonly hasV4: boolean;
  readonly v4Any: boolean;
  readonly v4: number;
  readonly hasV6: boolean;
  readonly v6: Ipv6Address | undefined;

  constructor(request: BindRequest, port: number, state: BindingState) {
    this.address = request.address;
    this.family = request.address === undefined ? (request.family ?? 4) : typeof request.address === 'number' ? 4 : 6;
    this.port = port;
    this.reuseAddress = request.reuseAddress ?? false;
    this.v6only = request.v6only ?? false;
    this.state = state;
    const a = request.address;
    const mapped = a !== undefined && typeof a !== 'number' ? ipv4FromMappedAddress(a) : undefined;
    if (this.family === 4 || mapped !== undefined) {
      this.hasV4 = true;
      this.v4Any = a === undefined;
      this.v4 = mapped ?? (typeof a === 'number' ? a : 0);
      this.hasV6 = false;
      this.v6 = undefined;
    } else {
      this.hasV4 = a === undefined && !this.v6only;
      this.v4Any = this.hasV4;
      this.v4 = 0;
      this.hasV6 = true;
      this.v6 = a as Ipv6Address | undefined;
    }
  }
}

/** The TIME-WAIT entries on one local address of a port, by SO_REUSEADDR flag. */
interface TimeWaitGroup {
  readonly address: IpAddress;
  withReuse: number;
  withoutReuse: number;
}

const NO_BINDINGS: ReadonlySet<Binding> = new Set();

/** inet_bind_bucket: everything holding one port. */
class PortBucket {
  /** Made with the first binding: a port held by TIME-WAIT entries alone needs no set. */
  private own: ChurnSet<Binding> | undefined;
  /** One group per local address (a host has few, usually one): made with the first. */
  timeWait: TimeWaitGroup[] | undefined;
  timeWaitCount = 0;
  /**
   * tb->fastreuse: 1 or 0 when the bucket was created by bind() (with or without SO_REUSEADDR;
   * any later binding without it, or a listen(), makes it 0), −1 when created by connect().
   * connect() skips ports whose bucket is ≥ 0: those belong to servers.
   */
  fastreuse: -1 | 0 | 1 = -1;

  get bindings(): ReadonlySet<Binding> {
    return this.own ?? NO_BINDINGS;
  }

  add(binding: Binding): void {
    (this.own ??= new ChurnSet()).add(binding);
  }

  delete(binding: Binding): boolean {
    return this.own?.delete(binding) ?? false;
  }

  timeWaitGroup(address: IpAddress): TimeWaitGroup | undefined {
    for (const group of this.timeWait ?? []) if (ipEquals(group.address, address)) return group;
    return undefined;
  }

  get empty(): boolean {
    return this.bindings.size === 0 && this.timeWaitCount === 0;
  }
}

export type BindResult =
  | { readonly ok: true; readonly binding: Binding }
  | { readonly ok: false; readonly code: 'EADDRINUSE' | 'EADDRNOTAVAIL'; readonly message: string };

export type ListenResult = { readonly ok: true } | { readonly ok: false; readonly code: 'EADDRINUSE'; readonly message: string };

function overlap(a: Binding, b: Binding): boolean {
  if (a.hasV4 && b.hasV4 && (a.v4Any || b.v4Any || a.v4 === b.v4)) return true;
  return a.hasV6 && b.hasV6 && (a.v6 === undefined || b.v6 === undefined || ipEquals(a.v6, b.v6));
}

/**
 * inet_bind_conflict without SO_REUSEPORT: `relax` is true for bind() and listen() of a given
 * port, false when choosing a port for bind(0), which wants a port nobody overlaps.
 */
function conflicts(reuse: boolean, otherReuse: boolean, otherState: BindingState | 'time-wait', relax: boolean): boolean {
  if (reuse && otherReuse && otherState !== 'listen') return !relax;
  return true;
}

export class BindTable {
  private readonly buckets = new ChurnMap<number, PortBucket>();

  /** `ports` serves bind() to port 0; without it, port 0 is refused. */
  constructor(private readonly ports?: EphemeralPorts) {}

  /**
   * bind(): EADDRINUSE when a socket whose address overlaps holds the port, unless both have
   * SO_REUSEADDR and it is not listening (see the rule above).
   */
  bind(request: BindRequest): BindResult {
    if (request.port === 0) return this.bindEphemeral(request);
    if (!(Number.isInteger(request.port) && request.port > 0 && request.port <= 65535)) {
      throw new RangeError(`a port is an integer in 0..65535, got ${request.port}`);
    }
    const binding = new Binding(request, request.port, 'bound');
    const bucket = this.buckets.get(request.port);
    if (bucket) {
      const blocker = this.conflict(bucket, binding, true);
      if (blocker !== undefined) return { ok: false, code: 'EADDRINUSE', message: blocker };
    }
    this.addExplicit(binding);
    return { ok: true, binding };
  }

  /**
   * listen() on a bound socket (inet_csk_listen_start calls get_port again): a socket that
   * shared the port under SO_REUSEADDR may have started listening since, or this one may be
   * the second to listen. On success the binding is in LISTEN and blocks every later bind().
   */
  listen(binding: Binding): ListenResult {
    const bucket = this.buckets.get(binding.port);
    if (!bucket || !bucket.bindings.has(binding)) throw new Error('listen(): the binding was released');
    const blocker = this.conflict(bucket, binding, true);
    if (blocker !== undefined) return { ok: false, code: 'EADDRINUSE', message: blocker };
    binding.state = 'listen';
    bucket.fastreuse = 0; // inet_csk_update_fastreuse: a listener is never "reuse"
    return { ok: true };
  }

  /**
   * A connection's hold on its local port, without any check: connect()'s ephemeral port
   * (unique per 4-tuple, checked by the caller) or an accepted connection on its listener's
   * port. It keeps the socket's (or the listener's) SO_REUSEADDR flag.
   */
  addConnection(address: IpAddress, port: number, reuseAddress: boolean): Binding {
    const binding = new Binding({ address, port, reuseAddress }, port, 'connected');
    this.bucket(port, -1).add(binding);
    return binding;
  }

  /** The socket closed (or its binding moved to TIME-WAIT through `addTimeWait`). */
  release(binding: Binding): void {
    const bucket = this.buckets.get(binding.port);
    if (!bucket || !bucket.delete(binding)) return;
    if (bucket.empty) this.buckets.delete(binding.port);
  }

  /** A connection entered TIME-WAIT: it keeps holding the port (with its SO_REUSEADDR flag). */
  addTimeWait(address: IpAddress, port: number, reuseAddress: boolean): void {
    const bucket = this.bucket(port, -1);
    let group = bucket.timeWaitGroup(address);
    if (!group) {
      group = { address, withReuse: 0, withoutReuse: 0 };
      if (bucket.timeWait) bucket.timeWait.push(group);
      else bucket.timeWait = [group];
    }
    if (reuseAddress) group.withReuse++;
    else group.withoutReuse++;
    bucket.timeWaitCount++;
  }

  /** A TIME-WAIT entry ended (expired, killed by RST, or reused by a new connection). */
  removeTimeWait(address: IpAddress, port: number, reuseAddress: boolean): void {
    const bucket = this.buckets.get(port);
    const group = bucket?.timeWaitGroup(address);
    if (!bucket || !group) return;
    if (reuseAddress ? group.withReuse === 0 : group.withoutReuse === 0) return;
    if (reuseAddress) group.withReuse--;
    else group.withoutReuse--;
    bucket.timeWaitCount--;
    if (group.withReuse + group.withoutReuse === 0) {
      const rest = bucket.timeWait!.filter((g) => g !== group);
      bucket.timeWait = rest.length > 0 ? rest : undefined;
    }
    if (bucket.empty) this.buckets.delete(port);
  }

  /** For connect()'s port choice: the port belongs to bind()/listen() (fastreuse ≥ 0). */
  isBound(port: number): boolean {
    const bucket = this.buckets.get(port);
    return bucket !== undefined && bucket.fastreuse >= 0;
  }

  /** Whether anything holds the port at all. */
  isHeld(port: number): boolean {
    return this.buckets.has(port);
  }

  /** The bindings on a port (TIME-WAIT entries not included), for `ss` and tests. */
  bindingsOn(port: number): readonly Binding[] {
    return [...(this.buckets.get(port)?.bindings ?? [])];
  }

  /** How many TIME-WAIT entries hold the port. */
  timeWaitOn(port: number): number {
    return this.buckets.get(port)?.timeWaitCount ?? 0;
  }

  // ------------------------------------------------------------------------------------------

  /** bind(0): inet_csk_find_open_port, with relax = false (no sharing, even under SO_REUSEADDR). */
  private bindEphemeral(request: BindRequest): BindResult {
    if (!this.ports) throw new Error('bind to port 0 needs the BindTable to be given the stack’s EphemeralPorts');
    const reuse = request.reuseAddress ?? false;
    const choice = this.ports.bindPort((port) => {
      const bucket = this.buckets.get(port);
      return bucket === undefined || this.conflict(bucket, new Binding(request, port, 'bound'), false) === undefined;
    }, reuse);
    if (!choice.ok) return choice;
    const binding = new Binding(request, choice.port, 'bound');
    this.addExplicit(binding);
    return { ok: true, binding };
  }

  private addExplicit(binding: Binding): void {
    const existing = this.buckets.get(binding.port);
    if (!existing || existing.empty) {
      this.bucket(binding.port, binding.reuseAddress ? 1 : 0).add(binding);
      return;
    }
    // inet_csk_update_fastreuse on a bucket with owners: only a binding without SO_REUSEADDR
    // changes it (to 0); a connect()-created bucket with SO_REUSEADDR joiners stays −1.
    if (!binding.reuseAddress) existing.fastreuse = 0;
    existing.add(binding);
  }

  private bucket(port: number, fastreuse: -1 | 0 | 1): PortBucket {
    let bucket = this.buckets.get(port);
    if (!bucket) {
      bucket = new PortBucket();
      bucket.fastreuse = fastreuse;
      this.buckets.set(port, bucket);
    }
    return bucket;
  }

  /** The first holder that conflicts with `binding`, described for the error message. */
  private conflict(bucket: PortBucket, binding: Binding, relax: boolean): string | undefined {
    for (const other of bucket.bindings) {
      if (other === binding || !overlap(binding, other)) continue;
      if (!conflicts(binding.reuseAddress, other.reuseAddress, other.state, relax)) continue;
      const what = other.state === 'listen' ? 'a listening socket' : other.state === 'connected' ? 'a connection' : 'a bound socket';
      const hint =
        other.state === 'listen'
          ? 'close that server or pick another port'
          : 'set reuseAddress (SO_REUSEADDR) on both sockets, close the other one, or pick another port';
      return `port ${binding.port} is in use by ${what} on ${describe(other)}: ${hint}`;
    }
    for (const group of bucket.timeWait ?? []) {
      const held = new Binding({ address: group.address, port: binding.port }, binding.port, 'connected');
      if (!overlap(binding, held)) continue;
      const blocking = group.withoutReuse > 0 || conflicts(binding.reuseAddress, true, 'time-wait', relax);
      if (!blocking) continue;
      const n = group.withReuse + group.withoutReuse;
      const hint =
        binding.reuseAddress && group.withoutReuse > 0
          ? 'those connections were made without reuseAddress (SO_REUSEADDR), so it must be set on the old socket too; or wait for TIME-WAIT to end'
          : 'set reuseAddress (SO_REUSEADDR), or wait for TIME-WAIT to end';
      return `port ${binding.port} is held by ${n} connection${n === 1 ? '' : 's'} in TIME-WAIT on ${describe(held)}: ${hint}`;
    }
    return undefined;
  }
}

function describe(b: Binding): string {
  if (b.address !== undefined) return typeof b.address === 'number' ? formatIpAddress(b.address) : `[${formatIpAddress(b.address)}]`;
  return b.family === 4 ? '0.0.0.0' : b.v6only ? '[::] (v6only)' : '[::]';
}
