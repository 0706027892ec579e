// Memory: what an idle established connection costs tcplab (in the stack alone, and with the net
// Socket an application holds), what a listener costs, and the heap with many connections open.
//
// In one process, in virtual time, no device: a server on tcplab (a NetStack on one end of a
// MemoryLink pair) and clients from a second, plain Stack on the other end. Once every connection
// is established and idle the client stack is dropped, so after a full collection the heap holds
// the server's connections only. Each figure is (heap + array buffers, after GC) minus the same
// before, divided by the count. Send and receive buffers are allocated on first use: the idle
// connections here never carried data, so they hold none (the figure reported as `buffers`).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MemoryLink } from '../src/link/memory-link.js';
import { VirtualClock } from '../src/net/clock.js';
import { createStack, type NetStack } from '../src/net/net-stack.js';
import type { Socket } from '../src/net/socket.js';
import { Stack } from '../src/stack/stack.js';
import type { TcpEndpoint } from '../src/stack/tcp-endpoint.js';

export interface MemoryResult {
  connections: number;
  perConnection: {
    /** The stack's record: endpoint, engine, demux entry, port binding. */
    stack: number;
    /** The same plus the net Socket (a stream.Duplex) the application holds. */
    withSocket: number;
    /** Buffer bytes allocated by those connections (0: they never carried data). */
    buffers: number;
  };
  perListener: number;
  heapBaseline: number;
  heapWithConnections: number;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function used(): number {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const SERVER = '10.0.0.2';
const CLIENT = '10.0.0.1';
const PORT = 80;
/** Below the listen backlog, so no SYN is dropped for a full queue. */
const CHUNK = 200;

/** Opens `n` connections to `server` from a throwaway client stack; returns when all are established. */
function connectMany(server: NetStack, clientLink: MemoryLink, serverLink: MemoryLink, clock: VirtualClock, n: number, established: () => number): void {
  let client: Stack | undefined = new Stack({ addresses: [CLIENT], ipLocalPortRange: [10000, 60999] });
  clientLink.onReceive((batch) => {
    for (let i = 0; i < batch.count; i++) client?.input(batch.packet(i), clock.now());
    clientLink.send(client?.takeOutput() ?? []);
  });
  const clients: TcpEndpoint[] = [];
  for (let done = 0; done < n; done += CHUNK) {
    for (let i = done; i < Math.min(n, done + CHUNK); i++) clients.push(client.connect({ host: SERVER, port: PORT }, clock.now()));
    clientLink.send(client.takeOutput());
    serverLink.pump();
    server.flush();
    serverLink.pump();
    established(); // the accept queue drains as an application's would
  }
  if (established() !== n) throw new Error(`memory bench: ${established()} of ${n} connections established`);
  // Forget the client side entirely: nothing it holds is the server's.
  clientLink.onReceive(() => undefined);
  client = undefined;
  clients.length = 0;
}

function setup(): { clock: VirtualClock; server: NetStack; a: MemoryLink; b: MemoryLink } {
  const clock = new VirtualClock();
  const [a, b] = MemoryLink.pair({ delivery: 'manual', queueLimit: 1_000_000 });
  const server = createStack({ link: a, addresses: [SERVER], clock });
  return { clock, server, a, b };
}

function buffersOf(eps: Iterable<TcpEndpoint>): number {
  let total = 0;
  for (const ep of eps) {
    const c = ep.connection as unknown as { sndBuf: { allocated: number }; rcvBuf: { allocated: number } };
    total += c.sndBuf.allocated + c.rcvBuf.allocated;
  }
  return total;
}

export function benchMemory(opts: { connections: number; log: (line: string) => void }): Promise<MemoryResult> {
  const n = opts.connections;

  // 1. The stack alone: a listener whose connections the stack accepts, no Socket.
  let s1: ReturnType<typeof setup> | undefined = setup();
  const accepted: TcpEndpoint[] = [];
  const listener = s1.server.stack.listen({ port: PORT, backlog: 4096 });
  const before1 = used();
  connectMany(
    s1.server,
    s1.b,
    s1.a,
    s1.clock,
    n,
    () => {
      let ep: TcpEndpoint | undefined;
      while ((ep = s1?.server.stack.tcp.accept(listener)) !== undefined) accepted.push(ep);
      return accepted.length;
    },
  );
  const after1 = used();
  const buffers = buffersOf(accepted) / n;
  const stack = (after1 - before1) / n;
  opts.log(`memory: ${n} idle connections in the stack: ${(stack).toFixed(0)} B each`);
  accepted.length = 0;
  s1.server.close();
  s1 = undefined;

  // 2. With the net API: Server + Socket per connection.
  const s2 = setup();
  const sockets: Socket[] = [];
  s2.server.createServer((socket) => sockets.push(socket)).listen({ port: PORT, backlog: 4096 });
  s2.server.flush();
  const before2 = used();
  connectMany(s2.server, s2.b, s2.a, s2.clock, n, () => sockets.length);
  const after2 = used();
  const withSocket = (after2 - before2) / n;
  opts.log(`memory: ${n} idle connections with their Sockets: ${withSocket.toFixed(0)} B each; heap ${(after2 / 1048576).toFixed(1)} MiB`);

  // 3. Listeners: servers on distinct ports.
  const listeners = 1000;
  const s3 = setup();
  const before3 = used();
  for (let i = 0; i < listeners; i++) s3.server.createServer(() => undefined).listen({ port: 1000 + i });
  const after3 = used();
  const perListener = (after3 - before3) / listeners;
  opts.log(`memory: listener ${perListener.toFixed(0)} B each`);
  s2.server.close();
  s3.server.close();
  return Promise.resolve({
    connections: n,
    perConnection: { stack, withSocket, buffers },
    perListener,
    heapBaseline: before2,
    heapWithConnections: after2,
  });
}
