// The end-to-end benchmarks: tcplab next to the kernel and next to the ceiling of the TUN path,
// measured the same way, in the same run, alternately.
//
//   kernel   kernel TCP ↔ veth ↔ kernel TCP, two private namespaces (veth keeps its default
//            offloads in every configuration: it is the kernel's own figure)
//   relay    kernel TCP ↔ TUN ↔ bench/c/tun_relay ↔ TUN ↔ kernel TCP, two private namespaces:
//            user space doing nothing but read() and write(), the ceiling of any TUN stack
//   tcplab   kernel TCP ↔ TUN ↔ tcplab (bench/tcplab-server.ts, a process of its own), one
//            private namespace
//
// The kernel's end is always bench/c/tcp_load.c, and so is the far end of `kernel` and `relay`;
// tcplab's end is the public API. Measures, from the kernel's side:
//
//   bulk-in    kernel → server: bytes the server acknowledged per second (SIOCOUTQ)
//   bulk-out   server → kernel: bytes read per second
//   crr        connections per second: connect, 64 bytes each way, close (kernel closes first)
//   rr         one connection, 64 bytes each way, ping-pong: p50 and p99 round trip in µs, with
//              the system's processes and the client on one CPU (--rr-cpu; see pinnedTo)
//
// Each configuration (MTU 1500; MTU 1500 with offloads; a large MTU) gets fresh namespaces for
// the three systems; each measure runs `runs` times per system, the systems in a rotating order
// so that a drift of the machine's load hits all three. Medians are reported, with every run.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildC, type BenchNamespace, type Child, createNamespace } from './env.js';
import { median } from './tun-read.js';

export type SystemName = 'kernel' | 'relay' | 'tcplab';
export const SYSTEMS: readonly SystemName[] = ['kernel', 'relay', 'tcplab'];
export type MeasureName = 'bulk-in' | 'bulk-out' | 'crr' | 'rr';
export const MEASURES: readonly MeasureName[] = ['bulk-in', 'bulk-out', 'crr', 'rr'];

export interface ConfigSpec {
  name: string;
  mtu: number;
  offload: boolean;
  measures: readonly MeasureName[];
}

export interface E2eOptions {
  runs: number;
  seconds: number;
  warmup: number;
  configs: readonly ConfigSpec[];
  systems: readonly SystemName[];
  /** Write a V8 CPU profile of the tcplab process into this directory. */
  profileDir?: string;
  /** Write a sampling heap profile (collected objects included) of it into this directory. */
  heapProfileDir?: string;
  /** TunLink's writerThread for tcplab: 'auto' (its default), 'off', or a thread spinning this
   *  many µs when idle. */
  writer?: string;
  /** Run request/response with every process of the system and its client on this CPU (see
   *  pinnedTo); undefined: wherever the scheduler puts them. */
  rrCpu?: number;
  log: (line: string) => void;
}

/** One run's figure: Gb/s for bulk, connections/s for crr, p50 µs for rr (with p99 beside). */
export interface RunFigure {
  value: number;
  p99?: number;
  detail: Record<string, number>;
}

export interface MeasureResult {
  config: string;
  mtu: number;
  offload: boolean;
  measure: MeasureName;
  unit: 'Gb/s' | 'conn/s' | 'µs';
  /** Larger is better (bulk, crr) or smaller is better (rr). */
  higherIsBetter: boolean;
  systems: Partial<Record<SystemName, { runs: RunFigure[]; median: number; medianP99?: number }>>;
}

const PORT = 5201;
const RR_SIZE = 64;
const CRR_CONCURRENCY = 8;
/** Source addresses the crr client rotates through (host part), beside .1: with the client's
 *  ports widened to 1024-65535 that is 2 million 4-tuples toward one server port, so the
 *  TIME-WAIT left by a whole bench never crowds connect()'s port search (at 70% of the default
 *  range, Linux spent ~10 ms per connect here). */
const EXTRA_HOSTS = Array.from({ length: 32 }, (_, i) => 11 + i);
const CLIENT_SYSCTLS = ['net.ipv4.ip_local_port_range=1024 65535'];
const SUBNET: Record<SystemName, string> = { kernel: '10.241', relay: '10.242', tcplab: '10.243' };

/** A system ready to be measured: where the client runs and what it connects to. */
interface Rig {
  readonly system: SystemName;
  readonly client: BenchNamespace;
  readonly server: string;
  readonly sources: string;
  /** The system's own processes (servers, relay): pinned with the client for request/response. */
  readonly pids: readonly number[];
  /** tcplab only: ask the server process for its counters. */
  stats?: () => Promise<unknown>;
  close(): Promise<void>;
}

async function stopChild(child: Child): Promise<void> {
  child.kill();
  await child.exited;
}

function addresses(system: SystemName, config: number): { client: string; server: string; extra: string[] } {
  const net = `${SUBNET[system]}.${config}`;
  return { client: `${net}.1`, server: `${net}.2`, extra: EXTRA_HOSTS.map((h) => `${net}.${h}`) };
}

function addExtra(ns: BenchNamespace, dev: string, extra: readonly string[]): void {
  for (const a of extra) ns.run(['ip', 'addr', 'add', `${a}/24`, 'dev', dev]);
}

/** The namespace the kernel's client (tcp_load) runs in. */
function clientNamespace(): BenchNamespace {
  const ns = createNamespace();
  ns.run(['sysctl', '-qw', ...CLIENT_SYSCTLS]);
  return ns;
}

async function kernelRig(tools: Tools, spec: ConfigSpec, index: number): Promise<Rig> {
  const a = clientNamespace();
  const b = createNamespace();
  const { client, server, extra } = addresses('kernel', index);
  try {
    // Created in namespace a, the peer moved to b: nothing ever appears in the host's namespace.
    a.run(['ip', 'link', 'add', 'bk0', 'type', 'veth', 'peer', 'name', 'bk1', 'netns', b.name]);
    a.run(['ip', 'link', 'set', 'bk0', 'mtu', String(spec.mtu), 'up']);
    b.run(['ip', 'link', 'set', 'bk1', 'mtu', String(spec.mtu), 'up']);
    a.run(['ip', 'addr', 'add', `${client}/24`, 'dev', 'bk0']);
    addExtra(a, 'bk0', extra);
    b.run(['ip', 'addr', 'add', `${server}/24`, 'dev', 'bk1']);
    const srv = b.spawn([tools.tcpLoad, 'server', String(PORT)], 3_600_000);
    await srv.waitForLine((l) => l === 'ready', 10_000);
    return {
      system: 'kernel',
      client: a,
      server,
      pids: pidsOf(srv),
      sources: [client, ...extra].join(','),
      close: async () => {
        await stopChild(srv);
        a.destroy();
        b.destroy();
      },
    };
  } catch (err) {
    a.destroy();
    b.destroy();
    throw err;
  }
}

async function relayRig(tools: Tools, spec: ConfigSpec, index: number): Promise<Rig> {
  const a = clientNamespace();
  const b = createNamespace();
  const { client, server, extra } = addresses('relay', index);
  let relay: Child | undefined;
  try {
    relay = a.spawn([tools.tunRelay, a.name, 'br0', b.name, 'br1', spec.offload ? '1' : '0'], 3_600_000);
    await relay.waitForLine((l) => l === 'ready', 10_000);
    a.run(['ip', 'link', 'set', 'br0', 'mtu', String(spec.mtu), 'txqueuelen', '5000', 'up']);
    b.run(['ip', 'link', 'set', 'br1', 'mtu', String(spec.mtu), 'txqueuelen', '5000', 'up']);
    a.run(['ip', 'addr', 'add', `${client}/24`, 'dev', 'br0']);
    addExtra(a, 'br0', extra);
    b.run(['ip', 'addr', 'add', `${server}/24`, 'dev', 'br1']);
    const srv = b.spawn([tools.tcpLoad, 'server', String(PORT)], 3_600_000);
    await srv.waitForLine((l) => l === 'ready', 10_000);
    const r = relay;
    return {
      system: 'relay',
      client: a,
      server,
      pids: pidsOf(r, srv),
      sources: [client, ...extra].join(','),
      close: async () => {
        await stopChild(srv);
        await stopChild(r);
        a.destroy();
        b.destroy();
      },
    };
  } catch (err) {
    if (relay) await stopChild(relay);
    a.destroy();
    b.destroy();
    throw err;
  }
}

async function tcplabRig(tools: Tools, spec: ConfigSpec, index: number, opts: E2eOptions): Promise<Rig> {
  const { profileDir, heapProfileDir, writer } = opts;
  const ns = clientNamespace();
  const { client, server, extra } = addresses('tcplab', index);
  try {
    if (heapProfileDir !== undefined) mkdirSync(heapProfileDir, { recursive: true });
    const heapOut = heapProfileDir === undefined ? undefined : join(heapProfileDir, `tcplab-${spec.name}.heapprofile`);
    const node = [
      process.execPath,
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=tcplab-${spec.name}.cpuprofile`] : []),
      ...(heapOut ? ['--import', `${pathToFileURL(tools.heapSampler).href}?out=${encodeURIComponent(heapOut)}`] : []),
    ];
    const argv = [...node, tools.tcplabServer, '--netns', ns.name, '--kernel', `${client}/24`, '--ours', server, '--extra', extra.join(','), '--mtu', String(spec.mtu), '--port', String(PORT)];
    if (spec.offload) argv.push('--offload');
    if (writer !== undefined) argv.push('--writer', writer);
    // Started outside the namespace: the addon creates the device inside it (setns).
    const srv = ns.spawnHere(argv, 3_600_000, { stdin: true });
    await srv.waitForLine((l) => l === 'ready', 15_000);
    return {
      system: 'tcplab',
      client: ns,
      server,
      pids: pidsOf(srv),
      sources: [client, ...extra].join(','),
      stats: async () => {
        const before = srv.lines.length;
        srv.send('stats');
        const line = await srv.waitForLine((l) => srv.lines.indexOf(l) >= before && l.startsWith('{'), 5_000);
        return JSON.parse(line) as unknown;
      },
      close: async () => {
        srv.process.stdin?.end(); // a clean exit, so a CPU profile gets written
        const exited = await Promise.race([srv.exited, new Promise((r) => setTimeout(r, 5_000, 'timeout'))]);
        if (exited === 'timeout') await stopChild(srv);
        ns.destroy();
      },
    };
  } catch (err) {
    ns.destroy();
    throw err;
  }
}

interface Tools {
  tcpLoad: string;
  tunRelay: string;
  tcplabServer: string;
  heapSampler: string;
}

function tools(): Tools {
  const here = fileURLToPath(import.meta.url);
  return {
    tcpLoad: buildC('tcp_load'),
    tunRelay: buildC('tun_relay'),
    tcplabServer: join(here, '..', `tcplab-server${here.endsWith('.ts') ? '.ts' : '.js'}`),
    heapSampler: join(here, '..', `heap-sampler${here.endsWith('.ts') ? '.ts' : '.js'}`),
  };
}

function pidsOf(...children: Child[]): number[] {
  return children.map((c) => c.process.pid).filter((pid): pid is number => pid !== undefined);
}

/**
 * Runs `body` with every thread of `pids` on CPU `cpu` (taskset), and gives them back the CPUs
 * they had afterwards. Request/response is a ping-pong: on two idle vCPUs of a virtual machine, each
 * hand-over wakes a halted vCPU, and this machine's wake-ups (tens of µs) then make the figure
 * whatever the scheduler's placement was that run (the relay's p50 was 21 µs in one run and
 * 95 µs in another; tcplab's, writer thread off, 11 µs on one CPU and 77 µs across two). On one
 * CPU the figure is the path's own, for every system alike.
 */
async function pinnedTo<T>(cpu: number | undefined, pids: readonly number[], body: (prefix: string[]) => Promise<T>): Promise<T> {
  if (cpu === undefined) return body([]);
  const masks = pids.map((pid) => /:\s*([0-9a-f]+)\s*$/.exec(execFileSync('taskset', ['-p', String(pid)], { encoding: 'utf8' }))?.[1]);
  for (const pid of pids) execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
  try {
    return await body(['taskset', '-c', String(cpu)]);
  } finally {
    for (const [i, pid] of pids.entries()) {
      try {
        execFileSync('taskset', ['-a', '-p', masks[i] ?? `${(2 ** cpus().length - 1).toString(16)}`, String(pid)], { stdio: 'ignore' });
      } catch {
        // the process is gone: nothing to put back
      }
    }
  }
}

async function measureOnce(rig: Rig, t: Tools, measure: MeasureName, opts: E2eOptions): Promise<RunFigure> {
  const w = String(measure === 'crr' || measure === 'rr' ? Math.min(opts.warmup, 0.5) : opts.warmup);
  const s = String(opts.seconds);
  const argv: Record<MeasureName, string[]> = {
    'bulk-in': [t.tcpLoad, 'send', rig.server, String(PORT), w, s],
    'bulk-out': [t.tcpLoad, 'recv', rig.server, String(PORT + 1), w, s],
    rr: [t.tcpLoad, 'rr', rig.server, String(PORT + 2), w, s, String(RR_SIZE)],
    crr: [t.tcpLoad, 'crr', rig.server, String(PORT + 2), w, s, String(CRR_CONCURRENCY), String(RR_SIZE), rig.sources],
  };
  const cpu = measure === 'rr' ? opts.rrCpu : undefined;
  const { child, code } = await pinnedTo(cpu, rig.pids, async (prefix) => {
    const c = rig.client.spawn([...prefix, ...argv[measure]], (opts.warmup + opts.seconds + 15) * 1000);
    return { child: c, code: await c.exited };
  });
  const line = child.lines.find((l) => l.startsWith('{'));
  if (code !== 0 || line === undefined) throw new Error(`${rig.system} ${measure}: tcp_load exited ${code}: ${child.stderr().trim()}`);
  const r = JSON.parse(line) as Record<string, number>;
  switch (measure) {
    case 'bulk-in':
    case 'bulk-out':
      return { value: r.gbps as number, detail: r };
    case 'crr':
      return { value: r.rate as number, detail: r };
    case 'rr':
      return { value: r.p50_us as number, p99: r.p99_us as number, detail: r };
  }
}

const UNIT: Record<MeasureName, MeasureResult['unit']> = { 'bulk-in': 'Gb/s', 'bulk-out': 'Gb/s', crr: 'conn/s', rr: 'µs' };

export function formatFigure(unit: MeasureResult['unit'], value: number, p99?: number): string {
  if (!Number.isFinite(value)) return '-';
  if (unit === 'Gb/s') return `${value.toFixed(2)} Gb/s`;
  if (unit === 'conn/s') return `${(value / 1000).toFixed(1)}k/s`;
  return `${value.toFixed(0)}${p99 === undefined ? '' : `/${p99.toFixed(0)}`} µs`;
}

/** Runs every configuration; one result per (configuration, measure). */
export async function runE2e(opts: E2eOptions): Promise<MeasureResult[]> {
  const t = tools();
  const results: MeasureResult[] = [];
  for (const [index, spec] of opts.configs.entries()) {
    opts.log(`${spec.name}: MTU ${spec.mtu}, offloads ${spec.offload ? 'on' : 'off'}; ${opts.systems.join(', ')}; ${opts.runs} runs of ${opts.seconds} s (+${opts.warmup} s warmup)`);
    const rigs: Rig[] = [];
    try {
      for (const system of opts.systems) {
        const rig =
          system === 'kernel'
            ? await kernelRig(t, spec, index + 1)
            : system === 'relay'
              ? await relayRig(t, spec, index + 1)
              : await tcplabRig(t, spec, index + 1, opts);
        rigs.push(rig);
      }
      for (const measure of spec.measures) {
        const result: MeasureResult = {
          config: spec.name,
          mtu: spec.mtu,
          offload: spec.offload,
          measure,
          unit: UNIT[measure],
          higherIsBetter: measure !== 'rr',
          systems: {},
        };
        const runs = new Map<SystemName, RunFigure[]>(rigs.map((r) => [r.system, []]));
        for (let i = 0; i < opts.runs; i++) {
          // Rotate who goes first, so that no system always follows the same one.
          const order = rigs.map((_, k) => rigs[(k + i) % rigs.length] as Rig);
          const line: string[] = [];
          for (const rig of order) {
            const fig = await measureOnce(rig, t, measure, opts);
            runs.get(rig.system)?.push(fig);
            line.push(`${rig.system} ${formatFigure(result.unit, fig.value, fig.p99)}`);
          }
          opts.log(`  ${measure} run ${i + 1}/${opts.runs}: ${line.join(', ')}`);
        }
        for (const [system, figs] of runs) {
          const p99s = figs.flatMap((f) => (f.p99 === undefined ? [] : [f.p99]));
          result.systems[system] = { runs: figs, median: median(figs.map((f) => f.value)), ...(p99s.length > 0 ? { medianP99: median(p99s) } : {}) };
        }
        results.push(result);
      }
      const tl = rigs.find((r) => r.system === 'tcplab');
      if (tl?.stats) opts.log(`  tcplab device: ${JSON.stringify((await tl.stats()) as object).slice(0, 400)}`);
    } finally {
      for (const rig of rigs) await rig.close();
    }
  }
  return results;
}

export function cpuSummary(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model ?? 'unknown CPU'}`;
}
