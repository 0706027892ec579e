// The cost of the stack's timers with many idle connections (issue 4, "one real timer for the
// earliest deadline"): nextDeadline() and poll(now) when nothing is due, before (the stack
// scanned every connection, the code kept here as `scan*`) and after (the timer wheel), for
// 10 000 and 100 000 established connections, without timers and with a keepalive timer each.
// Micro benchmarks with benchmark.js, in-process, no device. Standalone:
//
//   npx tsc -p tsconfig.build.json && node --expose-gc dist/bench/timer-wheel.js [10000,100000]
import Benchmark from 'benchmark';
import { Stack } from '../src/stack/stack.js';
import { pump } from './two-stacks.js';
import type { TcpEndpoint } from '../src/stack/tcp-endpoint.js';

const SIZES = (process.argv[2] ?? '10000,100000').split(',').map(Number);
/** Destination ports, so that no destination takes more than 10 000 ephemeral ports: the port
 *  search (RFC 6056 as Linux does it) tries the even half of the range first, and scans long
 *  once that half is used up. */
function serverPorts(n: number): number[] {
  return Array.from({ length: Math.ceil(n / 10_000) }, (_, i) => 80 + i);
}

/** Stack `a` with `n` established connections to `b`, every packet moved in-process. */
function establish(n: number): { a: Stack; clients: TcpEndpoint[] } {
  const secret = new Uint8Array(16).fill(3);
  const a = new Stack({ addresses: ['10.0.0.1'], secret });
  let b: Stack | undefined = new Stack({ addresses: ['10.0.0.2'], secret });
  const ports = serverPorts(n);
  for (const port of ports) b.listen({ port, backlog: 4096 });
  const move = (): void => pump(a, b!);
  const clients: TcpEndpoint[] = [];
  for (let i = 0; i < n; i++) {
    clients.push(a.connect({ host: '10.0.0.2', port: ports[i % ports.length] }, 0));
    if (i % 256 === 255) {
      move();
      for (const l of b.tcp.listeners.values()) while (b.tcp.accept(l));
    }
  }
  move();
  if (clients.some((c) => c.stateName !== 'ESTABLISHED')) throw new Error('not every connection is established');
  // The peer is no longer needed: only `a` is measured.
  b = undefined;
  a.tcp.takeTouched();
  return { a, clients };
}

// -----------------------------------------------------------------------------------------------
// Before: TcpLayer.nextDeadline and poll as they were, scanning every connection.

function scanNextDeadline(a: Stack): number | undefined {
  let earliest: number | undefined;
  for (const ep of a.tcp.connections.values()) {
    const d = ep.connection.nextDeadline();
    if (d !== undefined && (earliest === undefined || d < earliest)) earliest = d;
  }
  return earliest;
}

function scanPoll(a: Stack, now: number): void {
  for (const ep of [...a.tcp.connections.values()]) {
    const d = ep.connection.nextDeadline();
    if (d === undefined || d > now) continue;
    ep.connection.poll(now);
  }
}

// -----------------------------------------------------------------------------------------------

interface Row {
  readonly connections: number;
  readonly timers: string;
  readonly what: string;
  readonly before: number;
  readonly after: number;
}


function measure(n: number, timers: 'none' | 'keepalive', a: Stack): Row[] {
  const now = 1_000;
  let sink = 0;
  const results = new Map<string, number>();
  const suite = new Benchmark.Suite();
  suite
    .add('nextDeadline before', () => {
      sink += scanNextDeadline(a) ?? 1;
    })
    .add('nextDeadline after', () => {
      sink += a.nextDeadline() ?? 1;
    })
    .add('poll before', () => scanPoll(a, now))
    .add('poll after', () => a.poll(now))
    .on('cycle', (event: Benchmark.Event) => {
      // hz: calls per second, from benchmark.js's samples.
      results.set(String(event.target.name), 1e9 / (event.target.hz ?? Number.NaN));
    })
    .run({ async: false });
  if (sink === 0) console.log('');
  const expected = timers === 'none' ? undefined : scanNextDeadline(a);
  if (a.nextDeadline() !== expected) throw new Error(`the wheel says ${a.nextDeadline()}, the scan ${expected}`);
  return ['nextDeadline', 'poll'].map((what) => ({ connections: n, timers, what, before: results.get(`${what} before`)!, after: results.get(`${what} after`)! }));
}

function format(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${ns.toFixed(0)} ns`;
}

const rows: Row[] = [];
for (const n of SIZES) {
  const t0 = performance.now();
  const { a, clients } = establish(n);
  console.log(`${n.toLocaleString('en-US')} connections established in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  rows.push(...measure(n, 'none', a));
  // SO_KEEPALIVE on each: a deadline two hours away per connection, all in the wheel.
  for (const c of clients) {
    c.connection.setKeepAlive(true, undefined, 0);
    a.tcp.afterUserCall(c);
  }
  a.tcp.takeTouched();
  rows.push(...measure(n, 'keepalive', a));
  (globalThis as { gc?: () => void }).gc?.();
}

const table = [
  ['connections', 'timers', 'call', 'before (scan)', 'after (wheel)', 'speed-up'],
  ...rows.map((r) => [r.connections.toLocaleString('en-US'), r.timers, r.what, format(r.before), format(r.after), `${Math.round(r.before / r.after)}×`]),
];
const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
console.log('\nstack timers, idle connections (time per call)');
for (const r of table) console.log(`  ${r.map((c, i) => c.padEnd(widths[i])).join('  ')}`);
