// createStack(): a userspace TCP/IP host on a link, with Node's net API on top.
//
//   const net = createStack({ link, addresses: ['10.77.0.2'] });
//   net.createServer((socket) => socket.pipe(socket)).listen({ port: 7 });
//   const s = net.connect({ host: '10.77.0.1', port: 80 }, () => s.end('GET / HTTP/1.0\r\n\r\n'));
import type { Link } from '../link/link.js';
import { Stack, type StackOptions } from '../stack/stack.js';
import type { TcpEndpoint } from '../stack/tcp-endpoint.js';
import { RealClock, type Clock } from './clock.js';
import { StackDriver } from './driver.js';
import { Server, type ServerOptions } from './server.js';
import { Socket, type SocketConnectOptions, type SocketOptions } from './socket.js';

export interface CreateStackOptions extends StackOptions {
  link: Link;
  /** A VirtualClock in tests; real time by default. */
  clock?: Clock;
}

export class NetStack {
  readonly stack: Stack;
  readonly driver: StackDriver;
  readonly clock: Clock;
  readonly link: Link;
  #servers = new Set<Server>();
  #dispatching = false;
  #again = false;
  #closed = false;

  constructor(options: CreateStackOptions) {
    const { link, clock, ...stackOptions } = options;
    this.link = link;
    this.clock = clock ?? new RealClock();
    // A device with offloads takes partial checksums and super-segments (TSO): the engines
    // may then build segments of up to gsoMaxSize, and nobody sums their data in JavaScript.
    const offload = link.offload;
    const offloadOptions = offload?.checksum
      ? { checksumOffload: true, tcp: { gsoMaxSize: offload.gsoMaxSize, ...stackOptions.tcp } }
      : {};
    this.stack = new Stack({ mtu: link.mtu, ...stackOptions, ...offloadOptions });
    this.driver = new StackDriver(this.stack, link, this.clock);
    this.driver.onAfterTurn(() => this.dispatch());
  }

  now(): number {
    return this.clock.now();
  }

  createServer(options?: ServerOptions | ((socket: Socket) => void), onConnection?: (socket: Socket) => void): Server {
    const opts = typeof options === 'function' ? {} : (options ?? {});
    const handler = typeof options === 'function' ? options : onConnection;
    const server = new Server(this, opts);
    if (handler) server.on('connection', handler);
    return server;
  }

  connect(options: SocketConnectOptions & SocketOptions, onConnect?: () => void): Socket {
    const socket = new Socket(this, { allowHalfOpen: options.allowHalfOpen });
    return socket.connect(options, onConnect);
  }

  /** A function for http.request's `createConnection` option: HTTP over tcplab. */
  createConnection = (options: { host?: string; hostname?: string; port?: number | string }, onConnect?: () => void): Socket =>
    this.connect({ host: options.hostname ?? options.host ?? '127.0.0.1', port: Number(options.port ?? 80) }, onConnect);

  /** Stop the stack: every connection is dropped without a word, the link closed. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.driver.close();
    this.link.close();
  }

  /** @internal Send what the stack produced and let sockets catch up. */
  flush(): void {
    this.driver.flush();
  }

  /** @internal After a socket acted on its connection. */
  afterUserCall(ep: TcpEndpoint | undefined): void {
    if (!ep) return;
    this.stack.tcp.afterUserCall(ep);
    this.driver.flush();
  }

  /** @internal */
  registerServer(server: Server): void {
    this.#servers.add(server);
  }

  /** @internal */
  unregisterServer(server: Server): void {
    this.#servers.delete(server);
  }

  /** @internal A port nobody uses, for listen({ port: 0 }). */
  freePort(family: 4 | 6): number {
    return this.stack.tcp.freeListenPort(family);
  }

  /** Tell sockets and servers what changed. Re-entrant calls (user code acting inside an
   *  event handler) run the loop again instead of nesting. */
  private dispatch(): void {
    if (this.#dispatching) {
      this.#again = true;
      return;
    }
    this.#dispatching = true;
    try {
      do {
        this.#again = false;
        const { endpoints, listeners } = this.stack.tcp.takeTouched();
        for (let i = 0; i < listeners.length; i++) {
          const listener = listeners.at(i);
          for (const server of this.#servers) if (server.listener === listener) server.acceptWaiting();
        }
        for (let i = 0; i < endpoints.length; i++) {
          const owner = endpoints.at(i).owner;
          if (owner instanceof Socket) owner.update();
        }
      } while (this.#again);
    } finally {
      this.#dispatching = false;
    }
  }
}

export function createStack(options: CreateStackOptions): NetStack {
  return new NetStack(options);
}
