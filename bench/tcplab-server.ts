// tcplab's end of the end-to-end benchmarks (bench/e2e.ts), in its own process so that its CPU
// time is its own (and `--cpu-prof` profiles it alone): a TUN device in the bench's namespace,
// a stack on it, and the same three services as `tcp_load server` (bench/c/tcp_load.c), on the
// public API (createStack, Server, Socket) as an application would use it:
//
//   discard on PORT, source on PORT+1, echo on PORT+2
//
//   node dist/bench/tcplab-server.js --netns NS --kernel 10.81.0.1/24 --ours 10.81.0.2
//        [--extra 10.81.0.11,10.81.0.12] [--mtu 1500] [--offload] [--port 5201] [--writer auto|off|US]
//
// --writer: TunLink's writerThread: auto (its default: a writer thread without offloads), off, or
// a thread whose idle spin is US µs.
//
// Prints "ready" once listening. Commands on stdin, one per line: "stats" prints one JSON line
// (device and stack counters, memory); end of stdin or SIGTERM ends the process.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { TunLink } from '../src/link/tun-link.js';
import { createStack } from '../src/net/net-stack.js';
import type { Socket } from '../src/net/socket.js';

const { values } = parseArgs({
  options: {
    netns: { type: 'string' },
    kernel: { type: 'string' },
    ours: { type: 'string' },
    extra: { type: 'string', default: '' },
    mtu: { type: 'string', default: '1500' },
    offload: { type: 'boolean', default: false },
    port: { type: 'string', default: '5201' },
    writer: { type: 'string', default: 'auto' },
  },
});

if (values.netns === undefined || values.kernel === undefined || values.ours === undefined) {
  process.stderr.write('usage: tcplab-server --netns NS --kernel ADDR/PREFIX --ours ADDR [--extra A,B] [--mtu N] [--offload] [--port P]\n');
  process.exit(2);
}
const prefix = values.kernel.split('/')[1] ?? '24';
const extra = values.extra === '' ? [] : values.extra.split(',').map((a) => `${a}/${prefix}`);
const link = TunLink.open({
  netns: values.netns,
  addresses: [values.kernel, ...extra],
  mtu: Number(values.mtu),
  offload: values.offload, // off unless asked: the plain configurations measure the plain path
  writerThread: values.writer === 'auto' ? 'auto' : values.writer === 'off' ? false : Number(values.writer),
});
if (values.offload && link.offload === undefined) process.stderr.write(`tcplab-server: no offloads: ${link.offloadFallback ?? 'unknown reason'}\n`);
const net = createStack({ link, addresses: [values.ours] });
const port = Number(values.port);

const chunk = Buffer.alloc(256 * 1024, 's');

function discard(socket: Socket): void {
  socket.on('error', () => undefined);
  socket.on('end', () => socket.end());
  socket.resume();
}

function source(socket: Socket): void {
  socket.on('error', () => undefined);
  const pump = (): void => {
    while (!socket.destroyed && socket.writable) {
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

function echo(socket: Socket): void {
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  socket.on('data', (data: Buffer) => socket.write(data));
  socket.on('end', () => socket.end());
}

net.createServer(discard).listen({ port });
net.createServer(source).listen({ port: port + 1 });
net.createServer(echo).listen({ port: port + 2 });

function stats(): unknown {
  const m = process.memoryUsage();
  return {
    device: link.device.stats(),
    offload: link.offload ?? null,
    counters: net.stack.counters.snapshot(),
    connections: net.stack.tcp.connections.size,
    memory: { rss: m.rss, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers },
  };
}

const stop = (): void => {
  net.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  if (line.trim() === 'stats') process.stdout.write(`${JSON.stringify(stats())}\n`);
});
input.on('close', stop);
process.stdout.write('ready\n');
