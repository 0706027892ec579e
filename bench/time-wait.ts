// The TIME-WAIT table at a million entries (issue 4, "Must show"): memory per entry measured by
// the process (heap + array buffers over a baseline, after a full GC), lookup cost, and the
// cost of expiring them all. Then the same through the stack: real connections closed first by
// one stack, whose TIME-WAIT entries are measured once the engines are gone (table, bind table,
// timer wheel: everything the stack keeps per entry), and expired by its own poll(). Standalone:
//
//   npx tsc -p tsconfig.build.json && node --expose-gc dist/bench/time-wait.js [entries] [connections]
import { performance } from 'node:perf_hooks';
import { Stack } from '../src/stack/stack.js';
import { pump } from './two-stacks.js';
import type { TcpEndpoint } from '../src/stack/tcp-endpoint.js';
import { TimeWaitTable } from '../src/stack/time-wait-table.js';

const ENTRIES = Number(process.argv[2] ?? 1_000_000);
const CONNECTIONS = Number(process.argv[3] ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with node --expose-gc (memory figures need a full collection before each reading)');
  process.exit(2);
}

function memory(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const LOCAL = 0x0a000001; // 10.0.0.1
const PORTS = 28232; // the default ip_local_port_range, 32768–60999
/** Entry i: our port i mod 28232 toward 10.1.x.y:80, a new remote every 28232 entries. */
const localPort = (i: number): number => 32768 + (i % PORTS);
const remote = (i: number): number => (0x0a010000 + Math.floor(i / PORTS)) >>> 0;
/** Connections close at an even rate over 50 s, as a busy client's would. */
const closedAt = (i: number): number => (i * 50_000) / ENTRIES;

{
const baseline = memory();
const table = new TimeWaitTable({ seed: 1 });
let t0 = performance.now();
for (let i = 0; i < ENTRIES; i++) {
  table.insert(
    { localAddress: LOCAL, localPort: localPort(i), remoteAddress: remote(i), remotePort: 80, sndNxt: i, rcvNxt: ~i >>> 0, rcvWnd: 65535, rcvWscale: 7, tsRecent: i, tsRecentStamp: 0, tsOffset: 12345 },
    closedAt(i),
  );
}
const insertMs = performance.now() - t0;
const measured = (memory() - baseline) / ENTRIES;
const arrays = table.bytesPerEntry();

// Lookups: every entry once in a scattered order, then as many misses (wrong remote port).
const stride = 7919; // prime, coprime with any count that is not its multiple
t0 = performance.now();
let found = 0;
for (let k = 0, i = 0; k < ENTRIES; k++, i = (i + stride) % ENTRIES) if (table.lookup(LOCAL, localPort(i), remote(i), 80) >= 0) found++;
const hitNs = ((performance.now() - t0) * 1e6) / ENTRIES;
t0 = performance.now();
let missed = 0;
for (let k = 0, i = 0; k < ENTRIES; k++, i = (i + stride) % ENTRIES) if (table.lookup(LOCAL, localPort(i), remote(i), 443) < 0) missed++;
const missNs = ((performance.now() - t0) * 1e6) / ENTRIES;
if (found !== ENTRIES || missed !== ENTRIES) throw new Error(`lookup is wrong: ${found} found, ${missed} missed of ${ENTRIES}`);

// Expiry as the stack does it: one timer on nextExpiry(), firing every 10 ms of virtual time.
t0 = performance.now();
let expired = 0;
let calls = 0;
for (let now = 60_000; table.count > 0; now += 10) {
  expired += table.expire(now);
  calls++;
}
const expireMs = performance.now() - t0;
if (expired !== ENTRIES) throw new Error(`expired ${expired} of ${ENTRIES}`);

const rows: [string, string][] = [
  ['entries', ENTRIES.toLocaleString('en-US')],
  ['bytes/entry (process: heap + arrayBuffers, after gc)', measured.toFixed(1)],
  ['bytes/entry (its typed arrays, spare capacity included)', arrays.toFixed(1)],
  ['insert', `${insertMs.toFixed(0)} ms (${((insertMs * 1e6) / ENTRIES).toFixed(0)} ns/entry)`],
  ['lookup, hit', `${hitNs.toFixed(0)} ns`],
  ['lookup, miss', `${missNs.toFixed(0)} ns`],
  ['expire all', `${expireMs.toFixed(0)} ms in ${calls} timer calls (${((expireMs * 1e6) / ENTRIES).toFixed(0)} ns/entry)`],
];
const width = Math.max(...rows.map(([k]) => k.length));
console.log('TIME-WAIT table');
for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
console.log(`  goal: ≤ 200 bytes/entry: ${measured <= 200 ? 'met' : 'NOT met'}`);
}

// -----------------------------------------------------------------------------------------------
// Through the stack.

/** Stack `a` with `n` connections that it closed first, all in TIME-WAIT; the peer is gone. */
function closeThroughStack(n: number): Stack {
  const secret = new Uint8Array(16).fill(5);
  // tcp_max_tw_buckets (262 144 by default) raised so that all of them stay.
  const a = new Stack({ addresses: ['10.0.0.1'], secret, tcpMaxTwBuckets: n });
  let b: Stack | undefined = new Stack({ addresses: ['10.0.0.2'], secret });
  // At most 10 000 connections per destination: the ephemeral port search (RFC 6056 as Linux
  // does it) tries the even half of the range first and scans long once that is used up.
  const serverPorts = Array.from({ length: Math.ceil(n / 10_000) }, (_, i) => 80 + i);
  for (const port of serverPorts) b.listen({ port, backlog: 4096 });
  const move = (): void => pump(a, b!);
  for (let done = 0; done < n; ) {
    const batch: TcpEndpoint[] = [];
    for (let i = 0; i < 512 && done < n; i++, done++) batch.push(a.connect({ host: '10.0.0.2', port: serverPorts[done % serverPorts.length] }, 0));
    move();
    const accepted: TcpEndpoint[] = [];
    for (const l of b.tcp.listeners.values()) for (let ep = b.tcp.accept(l); ep; ep = b.tcp.accept(l)) accepted.push(ep);
    for (const ep of batch) {
      ep.connection.close(0);
      a.tcp.afterUserCall(ep);
    }
    move();
    for (const ep of accepted) {
      ep.connection.close(0);
      b.tcp.afterUserCall(ep);
    }
    move();
    // What the API layer does after each turn: the stack forgets what it told it.
    a.tcp.takeTouched();
    b.tcp.takeTouched();
  }
  if (a.tcp.timeWait.table.count !== n || a.tcp.connections.size !== 0) {
    throw new Error(`${a.tcp.timeWait.table.count} of ${n} in TIME-WAIT, ${a.tcp.connections.size} connections left`);
  }
  b = undefined;
  return a;
}

{
  const baseline = memory();
  let t0 = performance.now();
  const a = closeThroughStack(CONNECTIONS);
  const setupS = (performance.now() - t0) / 1000;
  const perEntry = (memory() - baseline) / CONNECTIONS;
  const deadline = a.nextDeadline();
  t0 = performance.now();
  a.poll(deadline!);
  const expireMs = performance.now() - t0;
  if (a.tcp.timeWait.table.count !== 0) throw new Error(`${a.tcp.timeWait.table.count} entries left after poll(${deadline})`);
  const stackRows: [string, string][] = [
    ['connections closed first, then in TIME-WAIT', `${CONNECTIONS.toLocaleString('en-US')} (made and closed in ${setupS.toFixed(1)} s)`],
    ['bytes/entry (process: heap + arrayBuffers, after gc)', perEntry.toFixed(1)],
    ['nextDeadline()', `${deadline} ms: exactly 2 × msl`],
    ['expire all in one poll()', `${expireMs.toFixed(0)} ms (${((expireMs * 1e6) / CONNECTIONS).toFixed(0)} ns/entry, events and port releases included)`],
  ];
  const w = Math.max(...stackRows.map(([k]) => k.length));
  console.log('TIME-WAIT through the stack (the engines let go)');
  for (const [k, v] of stackRows) console.log(`  ${k.padEnd(w)}  ${v}`);
  console.log(`  goal: ≤ 200 bytes/entry: ${perEntry <= 200 ? 'met' : 'NOT met'}`);
}
