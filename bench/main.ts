// `npm run bench`: runs every benchmark, prints a table, writes the figures to
// bench/results/<timestamp>.json (gitignored).
//
//   node dist/bench/main.js [--runs N] [--seconds S] [--warmup S] [--batch N] [--no-pin] [--only NAME]
//
// Needs root (namespaces, TUN devices). Everything runs inside private namespaces named
// tcplab-b*, removed at the end, on failure and on Ctrl-C; every child has a deadline.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { tunAvailable } from '../src/link/tun-device.js';
import { cleanupAll, packageRoot } from './env.js';
import { benchTunDrain, benchTunRead, type TunReadOptions, type TunReadResult } from './tun-read.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '0.5' },
    batch: { type: 'string', default: '256' },
    'no-pin': { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});

function positive(name: string, text: string, max: number): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > max) {
    process.stderr.write(`bench: --${name} must be a number in (0, ${max}], got ${text}\n`);
    process.exit(2);
  }
  return n;
}

const runs = Math.round(positive('runs', values.runs, 50));
const seconds = positive('seconds', values.seconds, 60);
const warmup = positive('warmup', values.warmup, 10);
const batchPackets = Math.round(positive('batch', values.batch, 4096));

type Result = TunReadResult;
const tunOpts: TunReadOptions = { runs, seconds, warmup, batchPackets, pin: !values['no-pin'], log: (l) => console.log(l) };
const benches: Record<string, () => Promise<Result>> = {
  'tun-read': () => benchTunRead(tunOpts),
  'tun-drain': () => benchTunDrain(tunOpts),
};

function mpps(pps: number): string {
  return `${(pps / 1e6).toFixed(3)} Mpps`;
}

function table(rows: string[][]): string {
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const available = tunAvailable();
  if (!available.ok) {
    process.stderr.write(`bench: cannot run: ${available.reason}\n`);
    process.exit(1);
  }
  if (values.only !== undefined && !(values.only in benches)) {
    process.stderr.write(`bench: unknown --only ${values.only}; known: ${Object.keys(benches).join(', ')}\n`);
    process.exit(2);
  }
  const results: Result[] = [];
  for (const [name, run] of Object.entries(benches)) {
    if (values.only !== undefined && values.only !== name) continue;
    console.log(`${name}: ${runs} runs per reader, --seconds ${seconds}, warmup ${warmup} s, batch ${batchPackets}`);
    results.push(await run());
  }

  const rows = [['bench', 'C (median)', 'addon (median)', 'addon/C', 'pairwise addon/C (median)', 'runs', 'drops C / addon']];
  for (const r of results) {
    rows.push([
      r.name,
      mpps(r.c.medianPps),
      mpps(r.addon.medianPps),
      `${(r.ratio * 100).toFixed(0)}%`,
      `${(r.medianPairRatio * 100).toFixed(0)}% (${r.pairRatios.map((x) => (x * 100).toFixed(0)).join(' ')})`,
      `${r.c.runs.length}+${r.addon.runs.length}`,
      r.c.medianDropRate === undefined || r.addon.medianDropRate === undefined
        ? '-'
        : `${(r.c.medianDropRate * 100).toFixed(1)}% / ${(r.addon.medianDropRate * 100).toFixed(1)}%`,
    ]);
  }
  console.log(`\n${table(rows)}`);

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = join(packageRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${stamp}.json`);
  const host = { node: process.version, kernel: release(), cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown' };
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), host, results }, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}

main().then(
  () => cleanupAll(),
  (err: unknown) => {
    cleanupAll();
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
