// `npm run bench`: the end-to-end benchmarks (bench/e2e.ts) and the memory figures
// (bench/memory.ts); prints a table, writes bench/results/<timestamp>.json, and for a run with
// the end-to-end benchmarks latest.json, latest.svg (the chart) and latest.md (gitignored).
//
//   node dist/bench/main.js [--runs N] [--seconds S] [--warmup S] [--only NAME[,NAME]]
//        [--configs mtu1500,offload,jumbo] [--systems kernel,relay,tcplab] [--large-mtu N]
//        [--profile DIR] [--heap-profile DIR] [--writer-thread auto|off|SPIN_US]
//
// NAME: e2e (default), memory (default), tun-read, tun-drain (the addon's read path alone, next
// to a C reader). Needs root (namespaces, TUN devices). Everything runs inside private
// namespaces named tcplab-b*, removed at the end, on failure and on Ctrl-C; every child has a
// deadline. The default run (3 runs of 3 s per system and measure) takes under 5 minutes;
// --seconds 10 gives the 10-second windows of the published table (about 13 minutes).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { tunAvailable } from '../src/link/tun-device.js';
import { cpuSummary, MEASURES, runE2e, SYSTEMS, type ConfigSpec, type MeasureResult, type SystemName } from './e2e.js';
import { cleanupAll, packageRoot } from './env.js';
import { benchMemory, type MemoryResult } from './memory.js';
import { markdownTable, svgChart, textTable } from './report.js';
import { benchTunDrain, benchTunRead, type TunReadOptions, type TunReadResult } from './tun-read.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '0.5' },
    only: { type: 'string', default: 'e2e,memory' },
    configs: { type: 'string', default: 'mtu1500,offload,jumbo' },
    systems: { type: 'string', default: SYSTEMS.join(',') },
    measures: { type: 'string', default: MEASURES.join(',') },
    'large-mtu': { type: 'string', default: '9000' },
    connections: { type: 'string', default: '10000' },
    profile: { type: 'string' },
    'heap-profile': { type: 'string' },
    'writer-thread': { type: 'string', default: 'auto' },
    'rr-cpu': { type: 'string', default: '0' },
    batch: { type: 'string', default: '256' },
    'no-pin': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(`usage: npm run bench -- [options]   (or: tcplab bench [options]; needs root)
  --runs N            runs per system and measure (3); medians are reported
  --seconds S         measuring window of each run (3: the whole run under 5 minutes; 10 for the
                      published table, about 13 minutes), after --warmup S (0.5)
  --only LIST         e2e,memory (default); also tun-read, tun-drain (the addon's read path alone)
  --configs LIST      mtu1500,offload,jumbo (default: all three)
  --systems LIST      kernel,relay,tcplab (default: all three)
  --measures LIST     bulk-in,bulk-out,crr,rr (default: all; offload and jumbo run bulk only)
  --large-mtu N       the MTU of the jumbo configuration (9000)
  --connections N     idle connections for the memory figures (10000)
  --profile DIR       write a V8 CPU profile of each tcplab server process into DIR
  --heap-profile DIR  write a sampling heap profile of it (collected objects included) into DIR;
                      node dist/bench/profile-summary.js FILE summarizes either kind
  --writer-thread M   tcplab's TunLink writerThread: auto (default: a writer thread without
                      offloads, direct writes with), off, or a thread with an idle spin of M µs
  --rr-cpu N|off      request/response with each system's processes and its client on CPU N
                      (0): a ping-pong across idle vCPUs measures the VM's wake-ups instead
Writes bench/results/<time>.json, latest.json, latest.svg (chart) and latest.md (table).
`);
  process.exit(0);
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function positive(name: string, text: string, max: number): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > max) fail(`--${name} must be a number in (0, ${max}], got ${text}`);
  return n;
}

function list<T extends string>(name: string, text: string, known: readonly T[]): T[] {
  const items = text.split(',').filter((s) => s !== '');
  for (const item of items) if (!known.includes(item as T)) fail(`unknown --${name} ${item}; known: ${known.join(', ')}`);
  return items as T[];
}

const runs = Math.round(positive('runs', values.runs, 50));
const seconds = positive('seconds', values.seconds, 60);
const warmup = positive('warmup', values.warmup, 10);
const largeMtu = Math.round(positive('large-mtu', values['large-mtu'], 65535));
const connections = Math.round(positive('connections', values.connections, 100_000));
const only = list('only', values.only, ['e2e', 'memory', 'tun-read', 'tun-drain'] as const);
const systems = list<SystemName>('systems', values.systems, SYSTEMS);
const measures = list('measures', values.measures, MEASURES);
const writer = values['writer-thread'];
if (writer !== 'auto' && writer !== 'off' && !/^\d+$/.test(writer)) fail(`--writer-thread must be auto, off or a number of µs (idle spin, 0-1000), got ${writer}`);
if (/^\d+$/.test(writer) && Number(writer) > 1000) fail(`--writer-thread: an idle spin of at most 1000 µs, got ${writer}`);
const rrCpuText = values['rr-cpu'];
if (rrCpuText !== 'off' && !(/^\d+$/.test(rrCpuText) && Number(rrCpuText) < cpus().length)) fail(`--rr-cpu must be off or a CPU number below ${cpus().length}, got ${rrCpuText}`);
const rrCpu = rrCpuText === 'off' ? undefined : Number(rrCpuText);
const ALL_CONFIGS: Record<string, ConfigSpec> = {
  mtu1500: { name: 'mtu1500', mtu: 1500, offload: false, measures: ['bulk-in', 'bulk-out', 'crr', 'rr'] },
  offload: { name: 'offload', mtu: 1500, offload: true, measures: ['bulk-in', 'bulk-out'] },
  jumbo: { name: 'jumbo', mtu: largeMtu, offload: false, measures: ['bulk-in', 'bulk-out'] },
};
const configs = list('configs', values.configs, Object.keys(ALL_CONFIGS)).map((c) => {
  const spec = ALL_CONFIGS[c] as ConfigSpec;
  return { ...spec, measures: spec.measures.filter((m) => measures.includes(m)) };
});

function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: packageRoot(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const available = tunAvailable();
  if (!available.ok) {
    process.stderr.write(`bench: cannot run: ${available.reason}\n`);
    process.exit(1);
  }
  const started = Date.now();
  const host = { node: process.version, kernel: release(), cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', commit: gitCommit() };
  const loadBefore = load();
  console.log(`tcplab bench: ${cpuSummary()}, Linux ${host.kernel}, Node ${host.node}, commit ${host.commit}; load average ${loadBefore}`);
  const log = (l: string): void => console.log(l);
  const out: { e2e?: MeasureResult[]; memory?: MemoryResult; tunRead?: TunReadResult[] } = {};

  if (only.includes('e2e') && configs.length > 0) {
    out.e2e = await runE2e({ runs, seconds, warmup, configs, systems, log, ...(values.profile ? { profileDir: values.profile } : {}), ...(values['heap-profile'] ? { heapProfileDir: values['heap-profile'] } : {}), writer, ...(rrCpu === undefined ? {} : { rrCpu }) });
  }
  if (only.includes('memory')) out.memory = await benchMemory({ connections, log });
  const tunNames = only.filter((n): n is 'tun-read' | 'tun-drain' => n === 'tun-read' || n === 'tun-drain');
  if (tunNames.length > 0) {
    const tunOpts: TunReadOptions = { runs, seconds, warmup, batchPackets: Math.round(positive('batch', values.batch, 4096)), pin: !values['no-pin'], log };
    out.tunRead = [];
    for (const name of tunNames) out.tunRead.push(await (name === 'tun-read' ? benchTunRead(tunOpts) : benchTunDrain(tunOpts)));
  }

  const loadAfter = load();
  const elapsed = (Date.now() - started) / 1000;
  const subtitle = `${cpuSummary()}, Linux ${host.kernel}, Node ${host.node}; ${runs} runs × ${seconds} s${writer === 'auto' ? '' : `; tcplab writer thread: ${writer}`}${rrCpu === undefined ? '; request/response unpinned' : `; request/response on CPU ${rrCpu}`}; load ${loadBefore} → ${loadAfter}`;
  if (out.e2e) {
    console.log(`\n${textTable(out.e2e)}`);
    console.log('\n(medians; rr shows p50/p99; ratios are tcplab over the relay, or relay p50 over tcplab p50 for rr)');
  }
  if (out.memory) {
    const m = out.memory;
    console.log(
      `\nmemory: idle established connection ${m.perConnection.stack.toFixed(0)} B in the stack, ${m.perConnection.withSocket.toFixed(0)} B with its net Socket` +
        ` (buffers not counted: ${m.perConnection.buffers.toFixed(0)} B allocated); listener ${m.perListener.toFixed(0)} B;` +
        ` ${m.connections} connections: heap ${(m.heapWithConnections / 1048576).toFixed(1)} MiB (${(m.heapBaseline / 1048576).toFixed(1)} MiB before)`,
    );
  }
  for (const r of out.tunRead ?? []) {
    console.log(`${r.name}: C ${(r.c.medianPps / 1e6).toFixed(3)} Mpps, addon ${(r.addon.medianPps / 1e6).toFixed(3)} Mpps, addon/C ${(r.ratio * 100).toFixed(0)}%`);
  }

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = join(packageRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify({ date: new Date().toISOString(), host, load: { before: loadBefore, after: loadAfter }, params: { runs, seconds, warmup, writer, rrCpu: rrCpu ?? null }, elapsedSeconds: elapsed, ...out }, null, 2)}\n`;
  writeFileSync(join(dir, `${stamp}.json`), json);
  // latest.* describe the last run that measured the end-to-end benchmarks.
  if (out.e2e) {
    writeFileSync(join(dir, 'latest.json'), json);
    writeFileSync(join(dir, 'latest.svg'), svgChart(out.e2e, subtitle));
    writeFileSync(join(dir, 'latest.md'), `${markdownTable(out.e2e)}\n\n${subtitle}\n`);
  }
  console.log(`\nwrote bench/results/${stamp}.json${out.e2e ? ', latest.json, latest.svg, latest.md' : ''} (${elapsed.toFixed(0)} s; load average now ${loadAfter})`);
}

main().then(
  () => cleanupAll(),
  (err: unknown) => {
    cleanupAll();
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
