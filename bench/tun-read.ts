// kernel → TUN → reader, read-and-drop, 1500-byte packets: how many packets per second
// the addon takes, next to a minimal C reader (bench/c/tun_reader.c), in the same run,
// same namespace, same traffic generator (bench/c/udp_blast.c: 1472-byte UDP payloads
// with UDP GSO + sendmmsg, from inside the namespace to 10.250.0.2, i.e. into the device).
// Each reader creates its device itself (MTU 1500, 10.250.0.1/24) in a private namespace.
//
// Two measurements:
//
// - stream (`tun-read`): the sender runs while the reader reads. The reader waits for the
//   first packet, stays idle for the warmup (the device queue fills, the sender reaches
//   full speed), then reads for the window, and reports packets plus the device's own
//   counters over the window: packets queued for the reader and packets dropped because
//   the queue was full. Offered load = queued + dropped. Drops > 0 mean the reader was the
//   limit; without drops the sender was, and the figure says more about the sender (which
//   pays for waking a reader that caught up) than about the reader.
//
// - drain (`tun-drain`): txqueuelen 100000. Repeatedly: the sender fills the queue while
//   the reader is idle, stops, then the reader empties the queue as fast as it can. This
//   is the reader's own rate with nobody competing for CPU or cache, independent of how
//   fast one core can send.
//
// Readers alternate C, addon, addon, C, ... so that slow drift of the machine hits both;
// with two or more CPUs and taskset, the reader runs on CPU 0 and the sender on CPU 1.
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildC, type BenchNamespace, type Child, createNamespace, hasCommand } from './env.js';

export interface TunReadOptions {
  runs: number;
  /** stream: window per run; drain: the runs' fills are sized from this too. */
  seconds: number;
  warmup: number;
  batchPackets: number;
  pin: boolean;
  log: (line: string) => void;
}

export interface ReaderRun {
  pps: number;
  packets: number;
  seconds: number;
  /** stream: packets offered to the reader per second, (queued + dropped) / seconds. */
  offeredPps?: number;
  /** stream: fraction of offered packets the device dropped because the reader fell behind. */
  dropRate?: number;
  /** addon: mean packets per callback. */
  packetsPerBatch?: number;
  /** drain: mean packets per drain (the queue holds txqueuelen). */
  packetsPerDrain?: number;
}

export interface ReaderSummary {
  runs: ReaderRun[];
  medianPps: number;
  minPps: number;
  maxPps: number;
  medianOfferedPps?: number;
  medianDropRate?: number;
}

export interface TunReadResult {
  name: 'tun-read' | 'tun-drain';
  description: string;
  params: Omit<TunReadOptions, 'log'> & { mtu: number; payload: number; txQueueLen: number; cpus: string; cyclesPerRun?: number };
  c: ReaderSummary;
  addon: ReaderSummary;
  /** median addon pps / median C pps */
  ratio: number;
  /** addon/C of the runs made next to each other, and their median. */
  pairRatios: number[];
  medianPairRatio: number;
}

const MTU = 1500;
const PAYLOAD = 1472; // + 8 UDP + 20 IPv4 = 1500
const STREAM_TX_QUEUE_LEN = 5000;
const DRAIN_TX_QUEUE_LEN = 100_000;
const DRAIN_FILL_SECONDS = 0.15;
const DEVICE = 'tcplabb0';
const OURS = '10.250.0.1/24';
const PEER = '10.250.0.2';

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function summarize(runs: ReaderRun[]): ReaderSummary {
  const pps = runs.map((r) => r.pps);
  const offered = runs.flatMap((r) => (r.offeredPps === undefined ? [] : [r.offeredPps]));
  const drops = runs.flatMap((r) => (r.dropRate === undefined ? [] : [r.dropRate]));
  return {
    runs,
    medianPps: median(pps),
    minPps: Math.min(...pps),
    maxPps: Math.max(...pps),
    ...(offered.length > 0 ? { medianOfferedPps: median(offered) } : {}),
    ...(drops.length > 0 ? { medianDropRate: median(drops) } : {}),
  };
}

interface Report {
  packets: number;
  seconds: number;
  queued?: number;
  dropped?: number;
  packetsPerBatch?: number;
}

function parseReport(line: string): Report {
  const r = JSON.parse(line) as Partial<Report>;
  if (typeof r.packets !== 'number' || typeof r.seconds !== 'number') throw new Error(`unexpected reader output: ${line}`);
  return r as Report;
}

function fmt(r: ReaderRun): string {
  const extra = [
    r.offeredPps === undefined ? '' : `offered ${(r.offeredPps / 1e6).toFixed(3)}`,
    r.dropRate === undefined ? '' : `dropped ${(r.dropRate * 100).toFixed(1)}%`,
    r.packetsPerBatch === undefined ? '' : `${r.packetsPerBatch.toFixed(0)} pkts/batch`,
    r.packetsPerDrain === undefined ? '' : `${r.packetsPerDrain.toFixed(0)} pkts/drain`,
  ].filter((x) => x !== '');
  return `${(r.pps / 1e6).toFixed(3)} Mpps (${extra.join(', ')})`;
}

/** Close a child that should be done: kill it (by PID) and wait for it. */
async function stop(child: Child): Promise<void> {
  child.kill();
  await child.exited;
}

async function streamRun(ns: BenchNamespace, readerArgv: readonly string[], blastArgv: readonly string[], opts: TunReadOptions): Promise<ReaderRun> {
  const windowMs = (opts.warmup + opts.seconds) * 1000;
  const reader = ns.spawn(readerArgv, windowMs + 20_000);
  try {
    await reader.waitForLine((l) => l === 'ready', 15_000);
    const blast = ns.spawn([...blastArgv, String(opts.warmup + opts.seconds + 2)], windowMs + 10_000);
    try {
      const code = await reader.exited;
      const last = reader.lines.filter((l) => l.startsWith('{')).pop();
      if (code !== 0 || last === undefined) throw new Error(`reader ${readerArgv.join(' ')} exited ${code}: ${reader.stderr().trim()}`);
      const r = parseReport(last);
      const offered = (r.queued ?? 0) + (r.dropped ?? 0);
      return {
        pps: r.packets / r.seconds,
        packets: r.packets,
        seconds: r.seconds,
        offeredPps: offered / r.seconds,
        dropRate: offered > 0 ? (r.dropped ?? 0) / offered : 0,
        ...(r.packetsPerBatch === undefined ? {} : { packetsPerBatch: r.packetsPerBatch }),
      };
    } finally {
      await stop(blast); // it outlives the window on purpose
    }
  } finally {
    await stop(reader);
  }
}

async function drainRun(
  ns: BenchNamespace,
  readerArgv: readonly string[],
  blastArgv: readonly string[],
  cycles: number,
): Promise<ReaderRun> {
  const budgetMs = cycles * (DRAIN_FILL_SECONDS * 1000 + 2000) + 20_000;
  const reader = ns.spawn(readerArgv, budgetMs, { stdin: true });
  let blast: Child | undefined;
  try {
    const first = await reader.nextLine(15_000);
    if (first !== 'ready') throw new Error(`reader ${readerArgv.join(' ')} said ${first}`);
    blast = ns.spawn([...blastArgv, '-'], budgetMs, { stdin: true }); // needs the route: after ready
    let packets = 0;
    let seconds = 0;
    // Cycle 0 is a warmup (page cache, first wake-ups) and is not counted.
    for (let cycle = 0; cycle <= cycles; cycle++) {
      blast.send(String(DRAIN_FILL_SECONDS));
      await blast.nextLine(10_000);
      reader.send('drain');
      const r = parseReport(await reader.nextLine(10_000));
      if (cycle === 0) continue;
      packets += r.packets;
      seconds += r.seconds;
    }
    return { pps: packets / seconds, packets, seconds, packetsPerDrain: packets / cycles };
  } finally {
    if (blast) await stop(blast);
    await stop(reader);
  }
}

interface Setup {
  ns: BenchNamespace;
  tunReader: string;
  udpBlast: string;
  addonReader: string;
  onCpu: (cpu: number, argv: readonly string[]) => string[];
  pin: boolean;
}

function setup(opts: TunReadOptions): Setup {
  const tunReader = buildC('tun_reader');
  const udpBlast = buildC('udp_blast');
  const here = fileURLToPath(import.meta.url);
  const addonReader = join(here, '..', `tun-read-addon${here.endsWith('.ts') ? '.ts' : '.js'}`);
  const pin = opts.pin && hasCommand('taskset') && cpus().length >= 2;
  const onCpu = (cpu: number, argv: readonly string[]): string[] => (pin ? ['taskset', '-c', String(cpu), ...argv] : [...argv]);
  return { ns: createNamespace(), tunReader, udpBlast, addonReader, onCpu, pin };
}

async function compare(
  name: TunReadResult['name'],
  description: string,
  opts: TunReadOptions,
  txQueueLen: number,
  run: (s: Setup, which: 'c' | 'addon') => Promise<ReaderRun>,
  extraParams: { cyclesPerRun?: number } = {},
): Promise<TunReadResult> {
  const s = setup(opts);
  try {
    const c: ReaderRun[] = [];
    const addon: ReaderRun[] = [];
    for (let i = 0; i < opts.runs; i++) {
      const order: Array<'c' | 'addon'> = i % 2 === 0 ? ['c', 'addon'] : ['addon', 'c'];
      for (const which of order) {
        const r = await run(s, which);
        (which === 'c' ? c : addon).push(r);
        opts.log(`  ${name} run ${i + 1}/${opts.runs} ${which === 'c' ? 'C    ' : 'addon'}: ${fmt(r)}`);
      }
    }
    const cs = summarize(c);
    const as = summarize(addon);
    const pairRatios = addon.map((a, i) => a.pps / (c[i] as ReaderRun).pps);
    return {
      name,
      description,
      params: {
        runs: opts.runs,
        seconds: opts.seconds,
        warmup: opts.warmup,
        batchPackets: opts.batchPackets,
        pin: s.pin,
        mtu: MTU,
        payload: PAYLOAD,
        txQueueLen,
        cpus: s.pin ? 'reader on CPU 0, sender on CPU 1' : 'unpinned',
        ...extraParams,
      },
      c: cs,
      addon: as,
      ratio: as.medianPps / cs.medianPps,
      pairRatios,
      medianPairRatio: median(pairRatios),
    };
  } finally {
    s.ns.destroy();
  }
}

function readerArgv(s: Setup, which: 'c' | 'addon', txQueueLen: number, opts: TunReadOptions, mode: 'stream' | 'drain'): string[] {
  const params = [DEVICE, OURS, String(MTU), String(txQueueLen), String(opts.warmup), String(opts.seconds)];
  return which === 'c'
    ? s.onCpu(0, [s.tunReader, ...params, mode === 'stream' ? 'poll' : 'drain'])
    : s.onCpu(0, [process.execPath, ...process.execArgv, s.addonReader, s.ns.name, ...params, String(opts.batchPackets), mode]);
}

/** Stream: the sender runs while the reader reads (see the top of this file). */
export function benchTunRead(opts: TunReadOptions): Promise<TunReadResult> {
  return compare(
    'tun-read',
    'kernel → TUN → reader, read-and-drop while the sender runs, 1500-byte IPv4/UDP packets',
    opts,
    STREAM_TX_QUEUE_LEN,
    (s, which) =>
      streamRun(s.ns, readerArgv(s, which, STREAM_TX_QUEUE_LEN, opts, 'stream'), s.onCpu(1, [s.udpBlast, PEER, '9', String(PAYLOAD)]), opts),
  );
}

/** Drain: the reader empties a full queue of 100000 packets, alone (see the top of this file). */
export function benchTunDrain(opts: TunReadOptions): Promise<TunReadResult> {
  // Five fills and drains per second of --seconds (each fill takes DRAIN_FILL_SECONDS).
  const cycles = Math.max(5, Math.round(opts.seconds * 5));
  return compare(
    'tun-drain',
    `kernel → TUN → reader, read-and-drop of a full ${DRAIN_TX_QUEUE_LEN}-packet queue, sender stopped, 1500-byte IPv4/UDP packets`,
    opts,
    DRAIN_TX_QUEUE_LEN,
    (s, which) =>
      drainRun(s.ns, readerArgv(s, which, DRAIN_TX_QUEUE_LEN, opts, 'drain'), s.onCpu(1, [s.udpBlast, PEER, '9', String(PAYLOAD)]), cycles),
    { cyclesPerRun: cycles },
  );
}
