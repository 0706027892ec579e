// The soak: connections and transfers churned for minutes between tcplab and the Linux kernel
// over a real TUN device, both ways at once, while the process's heap, tcplab's connections,
// TIME-WAIT entries, timers, file descriptors and network namespaces are sampled. It fails on
// any transfer that loses or changes a byte, on a heap that trends up, and on anything left
// behind at the end. `npm run soak -- --minutes 30` (scripts/soak.ts) and the two-minute
// version in test/tun/soak.test.ts run this.
//
//   kernel clients (Python threads) ──► tcplab echo server   (kernel connects, sends, reads back)
//   tcplab clients                  ──► kernel echo server   (tcplab connects, sends, reads back)
//
// Every exchange sends a pattern of random length, half-closes, reads the echo to the end and
// compares it byte for byte; tcplab's side closes first, so its TIME-WAIT table keeps churning.
import { createHook } from 'node:async_hooks';
import { readdirSync, readlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { Netns } from '../../src/lab/netns.js';
import { patternBytes } from '../../src/lab/pattern.js';
import { FaultLink, type Impairment } from '../../src/link/fault-link.js';
import { TunLink } from '../../src/link/tun-link.js';
import { createStack, type NetStack } from '../../src/net/net-stack.js';
import type { Socket } from '../../src/net/socket.js';
import { formatIpAddress } from '../../src/wire/address.js';
import { describeConnection } from './impaired-transfer.js';

export interface SoakOptions {
  /** How long to churn. */
  readonly durationMs: number;
  /** Seconds between samples (default 5). */
  readonly sampleEveryMs?: number;
  /** Concurrent exchanges each way (default 4). */
  readonly concurrency?: number;
  /** Largest exchange, bytes (default 64 KiB). */
  readonly maxBytes?: number;
  /** MSL of tcplab's connections: TIME-WAIT lasts twice this (default 5 s, so the TIME-WAIT
   *  table reaches its steady state early in the run). */
  readonly mslMs?: number;
  /** Impairment on tcplab's side of the device (default 1% loss both ways). */
  readonly impairment?: Impairment;
  /** The namespace to run in (left in place); default a private one made and removed here. */
  readonly ns?: Netns;
  /** Called with each sample as it is taken. */
  readonly onSample?: (s: SoakSample) => void;
}

export interface SoakSample {
  /** Seconds since the start. */
  readonly t: number;
  /** V8 heap used after a full garbage collection, bytes. */
  readonly heapUsed: number;
  readonly rss: number;
  /** tcplab connections not in TIME-WAIT, and in TIME-WAIT. */
  readonly connections: number;
  readonly timeWait: number;
  /** Timers (setTimeout/setInterval) alive in the process. */
  readonly timers: number;
  readonly fds: number;
  readonly namespaces: number;
  /** Exchanges completed so far, each way. */
  readonly fromKernel: number;
  readonly fromTcplab: number;
}

export interface SoakResult {
  readonly samples: SoakSample[];
  readonly exchanges: { readonly fromKernel: number; readonly fromTcplab: number };
  readonly bytes: number;
  readonly errors: string[];
  /** Least-squares slope of the heap after the warm-up (first fifth), bytes per minute. */
  readonly heapSlopePerMin: number;
  readonly heapStart: number;
  readonly heapEnd: number;
  /** What was left after everything closed and TIME-WAIT expired. */
  readonly after: { readonly connections: number; readonly timers: number; readonly fds: number; readonly namespaces: number; readonly kernelSockets: number };
  readonly before: { readonly timers: number; readonly fds: number; readonly namespaces: number };
  /** Reasons the soak failed; empty when it passed. */
  readonly failures: string[];
  readonly counters: Record<string, number>;
  /** Connections that made no progress (SND.UNA, RCV.NXT and state unchanged) for 20 s or more,
   *  each described once when first seen stuck: what to look at when an exchange timed out. */
  readonly stalls: string[];
}

/** How long a connection may stand still before the soak describes it. */
const STALL_MS = 20_000;
const KERNEL = '10.81.0.1';
const TCPLAB = '10.81.0.2';
const PORT = 7;

/** A threaded echo server on the kernel's side. */
const ECHO_SERVER = `
import socketserver, sys
class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                break
            self.request.sendall(data)
class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
Server((sys.argv[1], int(sys.argv[2])), Echo).serve_forever()
`;

/** Kernel clients: each thread connects to tcplab's echo server, sends a ramp of random length,
 *  half-closes, reads the echo to the end, checks it, closes; one JSON line per exchange. They
 *  stop after their current exchange when stdin closes. */
const KERNEL_CLIENTS = `
import json, random, socket, sys, threading
host, port, threads, max_bytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ramp = bytes(range(251)) * (max_bytes // 251 + 2)
lock = threading.Lock()
def say(obj):
    with lock:
        sys.stdout.write(json.dumps(obj) + "\\n")
        sys.stdout.flush()
stop = threading.Event()
def run(seed):
    rnd = random.Random(seed)
    while not stop.is_set():
        n = rnd.randint(1, max_bytes)
        start = rnd.randint(0, 250)
        data = ramp[start:start + n]
        try:
            s = socket.create_connection((host, port), timeout=30)
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            got = bytearray()
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
            s.close()
            say({"ok": bytes(got) == data, "bytes": n})
        except Exception as e:
            say({"ok": False, "error": repr(e)})
workers = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(threads)]
for w in workers:
    w.start()
sys.stdin.read()
stop.set()
for w in workers:
    w.join(60)
`;

/** A function that runs a full garbage collection (V8's gc, exposed at run time). */
function gcFunction(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function openFds(): string[] {
  return readdirSync('/proc/self/fd').map((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return `fd ${fd}`;
    }
  });
}

function countFds(): number {
  return openFds().length;
}

/** Every timer alive in the process, unref'd ones included (the stack's and the sockets' are):
 *  counted from their creation and destruction. */
const liveTimers = new Map<number, string>();
const timerHook = createHook({
  init(id, type) {
    if (type === 'Timeout') liveTimers.set(id, process.env.SOAK_DEBUG ? (new Error().stack ?? '') : '');
  },
  destroy(id) {
    liveTimers.delete(id);
  },
});

function countTimers(): number {
  return liveTimers.size;
}

/** tcplab namespaces made by this process (others run tests beside it). */
function countNamespaces(): number {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.startsWith('tcplab') && l.split(' ')[0]!.includes(`-${process.pid}-`)).length;
}

/** Slope of y over x (least squares), per unit of x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** One exchange from a tcplab client to the kernel's echo server. */
function exchange(net: NetStack, bytes: number, offset: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(patternBytes(bytes, offset));
    const socket: Socket = net.connect({ host: KERNEL, port: PORT });
    const chunks: Buffer[] = [];
    let got = 0;
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      got += d.length;
    });
    socket.on('error', reject);
    socket.on('end', () => {
      const echoed = Buffer.concat(chunks, got);
      if (echoed.equals(data)) resolve(bytes);
      else reject(new Error(`echo of ${bytes} bytes came back as ${got} bytes${got === bytes ? ' with different content' : ''}`));
    });
    socket.end(data);
  });
}

export async function soak(o: SoakOptions): Promise<SoakResult> {
  const concurrency = o.concurrency ?? 4;
  const maxBytes = o.maxBytes ?? 65_536;
  const everyMs = o.sampleEveryMs ?? 5000;
  const gc = gcFunction();
  timerHook.enable();
  gc();
  // libuv opens /dev/null once per loop, at the first pipe or socket, and keeps it as a spare
  // for EMFILE (uv__stream_init, loop->emfile_fd): open it before counting, or it reads as a leak.
  const firstPipe = spawn('true', [], { stdio: 'pipe' });
  await new Promise((resolve) => firstPipe.once('close', resolve));
  const fdsBefore = openFds();
  const before = { timers: countTimers(), fds: fdsBefore.length, namespaces: countNamespaces() };
  const ns = o.ns ?? Netns.create('tcplab-s');
  const errors: string[] = [];
  const stalls: string[] = [];
  const samples: SoakSample[] = [];
  let net: NetStack | undefined;
  let fromKernel = 0;
  let fromTcplab = 0;
  let bytes = 0;
  let counters: Record<string, number> = {};
  let kernelSockets = -1;
  let echoServer: ChildProcess | undefined;
  let clients: ChildProcess | undefined;
  const started = performance.now();
  try {
    // A plain device: the faults act on wire-size packets with real checksums (see FaultLink).
    const tun = TunLink.open({ offload: false, netns: ns.name, addresses: [`${KERNEL}/24`] });
    const impairment = o.impairment ?? { loss: 0.01 };
    const link = new FaultLink(tun, { seed: 5, in: impairment, out: impairment });
    net = createStack({ link, addresses: [TCPLAB], tcp: { msl: o.mslMs ?? 5000 } });
    const stack = net;
    stack.createServer((s) => {
      s.on('error', (e) => errors.push(`tcplab server: ${e.message}`));
      s.pipe(s);
    }).listen({ port: PORT });
    echoServer = ns.spawn(['python3', '-c', ECHO_SERVER, KERNEL, String(PORT)]);
    // Give the kernel's echo server a moment to bind before tcplab connects to it.
    await waitFor(async () => (await ns.exec(['ss', '-Htln', `sport = :${PORT}`])).stdout.trim() !== '', 10_000);
    clients = ns.spawn(['python3', '-u', '-c', KERNEL_CLIENTS, TCPLAB, String(PORT), String(concurrency), String(maxBytes)]);
    createInterface({ input: clients.stdout! }).on('line', (line) => {
      try {
        const r = JSON.parse(line) as { ok: boolean; bytes?: number; error?: string };
        if (r.ok) {
          fromKernel++;
          bytes += r.bytes ?? 0;
        } else {
          errors.push(`kernel client: ${r.error ?? `echo of ${r.bytes} bytes differed`}`);
        }
      } catch {
        // not a result line
      }
    });
    const deadline = started + o.durationMs;
    let offset = 0;
    const loops = Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const n = 1 + Math.floor(Math.random() * maxBytes);
        offset = (offset + 97) % 251;
        try {
          bytes += await exchange(stack, n, offset);
          fromTcplab++;
        } catch (e) {
          errors.push(`tcplab client: ${(e as Error).message}`);
          await sleep(100);
        }
      }
    });
    // Progress of each live connection, to name the ones that stop moving.
    const progress = new Map<object, { key: string; since: number; reported: boolean }>();
    const watchStalls = (): void => {
      const now = performance.now();
      const seen = new Set<object>();
      for (const ep of stack.stack.tcp.connections.values()) {
        const c = ep.connection;
        if (c.stateName === 'TIME-WAIT') continue;
        seen.add(ep);
        const key = `${c.stateName} ${c.sndUna} ${c.rcvNxt}`;
        const p = progress.get(ep);
        if (!p || p.key !== key) progress.set(ep, { key, since: now, reported: false });
        else if (!p.reported && now - p.since >= STALL_MS) {
          p.reported = true;
          stalls.push(`${formatIpAddress(ep.local.address)}:${ep.local.port} ↔ ${formatIpAddress(ep.remote.address)}:${ep.remote.port} stuck ${((now - p.since) / 1000).toFixed(0)} s: ${describeConnection(c, stack.now())}`);
        }
      }
      for (const ep of progress.keys()) if (!seen.has(ep)) progress.delete(ep);
    };
    const stallWatch = setInterval(watchStalls, 2_000);
    const sample = (): void => {
      gc();
      const mem = process.memoryUsage();
      let connections = 0;
      // TIME-WAIT lives in the stack's compact table (engines let go on entering it).
      let timeWait = stack.stack.tcp.timeWait.table.count;
      for (const ep of stack.stack.tcp.connections.values()) {
        if (ep.connection.stateName === 'TIME-WAIT') timeWait++;
        else connections++;
      }
      const s: SoakSample = {
        t: Math.round((performance.now() - started) / 100) / 10,
        heapUsed: mem.heapUsed,
        rss: mem.rss,
        connections,
        timeWait,
        timers: countTimers(),
        fds: countFds(),
        namespaces: countNamespaces(),
        fromKernel,
        fromTcplab,
      };
      samples.push(s);
      o.onSample?.(s);
    };
    while (performance.now() < deadline) {
      await sleep(Math.min(everyMs, Math.max(0, deadline - performance.now())));
      sample();
    }
    await Promise.all(loops);
    clearInterval(stallWatch);
    // Stop the kernel's clients after their current exchange, let TIME-WAIT run out.
    const kernelClients = clients;
    const exited = new Promise((resolve) => kernelClients.once('close', resolve));
    kernelClients.stdin?.end();
    await withTimeout(exited, 60_000);
    const tcp = stack.stack.tcp;
    await waitFor(async () => tcp.connections.size === 0 && tcp.timeWait.table.count === 0, 2 * (o.mslMs ?? 5000) + 30_000).catch(() => undefined);
    kernelSockets = (await ns.exec(['ss', '-Htan', 'state', 'established'])).stdout.trim().split('\n').filter((l) => l !== '').length;
    counters = stack.stack.counters.snapshot();
  } finally {
    net?.close();
    // The kernel's processes, by their PIDs (a namespace we were given stays, with its
    // children), waiting until their pipes are closed: an open pipe is a file descriptor.
    for (const child of [clients, echoServer]) await stopChild(child);
    if (o.ns === undefined) ns.destroy();
  }
  await sleep(200);
  // A timer's destruction is reported after its callback ran: let those reports arrive.
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  gc();
  const after = {
    connections: (net?.stack.tcp.connections.size ?? 0) + (net?.stack.tcp.timeWait.table.count ?? 0),
    timers: countTimers(),
    fds: countFds(),
    namespaces: countNamespaces(),
    kernelSockets,
  };
  const warm = samples.slice(Math.floor(samples.length / 5));
  const heapSlopePerMin = slope(
    warm.map((s) => s.t / 60),
    warm.map((s) => s.heapUsed),
  );
  const heapStart = warm[0]?.heapUsed ?? 0;
  const heapEnd = warm[warm.length - 1]?.heapUsed ?? 0;
  timerHook.disable();
  if (process.env.SOAK_DEBUG) for (const stack of liveTimers.values()) console.error('live timer', stack);
  const failures = judgeSoak({ samples, errors, exchanges: { fromKernel, fromTcplab }, before, after, durationMs: o.durationMs });
  const fdsLeft = openFds();
  for (const fd of fdsBefore) {
    const i = fdsLeft.indexOf(fd);
    if (i >= 0) fdsLeft.splice(i, 1);
  }
  if (fdsLeft.length > 0) failures.push(`file descriptors left: ${fdsLeft.join(', ')}`);
  return { samples, exchanges: { fromKernel, fromTcplab }, bytes, errors, heapSlopePerMin, heapStart, heapEnd, after, before, failures, counters, stalls };
}

/** Kill a child by PID unless it is gone, and wait (10 s at most) until its stdio is closed. */
async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined) return;
  const closed = new Promise((resolve) => child.once('close', resolve));
  const stdioOpen = [child.stdin, child.stdout, child.stderr].some((s) => s !== null && !s.destroyed);
  if (!stdioOpen && (child.exitCode !== null || child.signalCode !== null)) return;
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  await withTimeout(closed, 10_000);
}

/** `p`, or undefined after `ms`; the timer does not outlive the race. */
async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface SoakVerdictInput {
  readonly samples: readonly SoakSample[];
  readonly errors: readonly string[];
  readonly exchanges: { readonly fromKernel: number; readonly fromTcplab: number };
  readonly before: SoakResult['before'];
  readonly after: SoakResult['after'];
  readonly durationMs: number;
}

/** Why a soak failed (empty: it passed). The heap is judged after the warm-up (the first
 *  fifth): growth that its least-squares trend would give over the whole run above 8 MiB and
 *  20% of the heap in use is a leak, not noise. */
export function judgeSoak(i: SoakVerdictInput): string[] {
  const failures: string[] = [];
  const { errors, exchanges, before, after } = i;
  if (errors.length > 0) failures.push(`${errors.length} exchanges failed, first: ${errors[0]}`);
  if (exchanges.fromKernel === 0 || exchanges.fromTcplab === 0) {
    failures.push(`no exchange completed one way (kernel → tcplab ${exchanges.fromKernel}, tcplab → kernel ${exchanges.fromTcplab})`);
  }
  const warm = i.samples.slice(Math.floor(i.samples.length / 5));
  const perMin = slope(
    warm.map((s) => s.t / 60),
    warm.map((s) => s.heapUsed),
  );
  const projected = perMin * (i.durationMs / 60_000);
  const base = warm[0]?.heapUsed ?? 0;
  if (projected > Math.max(8 * 1024 * 1024, 0.2 * base)) {
    failures.push(`heap trends up: ${(perMin / 1024).toFixed(0)} KiB/min (${(projected / 1048576).toFixed(1)} MiB over the run)`);
  }
  if (after.connections !== 0) failures.push(`${after.connections} tcplab connections left after TIME-WAIT`);
  if (after.timers > before.timers) failures.push(`${after.timers - before.timers} timers left`);
  if (after.fds > before.fds) failures.push(`${after.fds - before.fds} file descriptors left`);
  if (after.namespaces > before.namespaces) failures.push(`${after.namespaces - before.namespaces} namespaces left`);
  return failures;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await sleep(100);
  }
}
