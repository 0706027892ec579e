// `npm run fuzz`: the long fuzz runs, per target, with fast-check.
//
//   node dist/scripts/fuzz.js [--runs 1000000] [--target engine|stack|wire] [--minutes M] [--seed N]
//
// Targets (test/fuzz/): `engine`, one connection in every state fed random, mutated and
// replayed segments with its invariants checked after every step; `stack`, the host stack fed
// forged, mutated and random packets with every packet accounted for in the counters; `wire`,
// every parser fed random and mutated bytes. Each target runs `--runs` cases (or until
// `--minutes`), in chunks of fresh seeds, printing progress. A failure prints the shrunk
// counterexample with its seed and path (replay it with fc.assert(..., { seed, path })), is
// written to scripts/results/, and the script exits 1: turn it into a regression test.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { engineProperty } from '../test/fuzz/engine.js';
import { stackProperty } from '../test/fuzz/stack.js';
import { wireProperty } from '../test/fuzz/wire.js';
import { resultsDir, table } from './lib/report.js';

const TARGETS: Record<string, () => fc.IProperty<[unknown]>> = {
  engine: () => engineProperty() as fc.IProperty<[unknown]>,
  stack: () => stackProperty() as fc.IProperty<[unknown]>,
  wire: () => wireProperty() as fc.IProperty<[unknown]>,
};

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000000' },
    target: { type: 'string', multiple: true },
    minutes: { type: 'string' },
    seed: { type: 'string' },
    chunk: { type: 'string', default: '5000' },
  },
});

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`fuzz: --${name} must be a positive number, got ${text}\n`);
    process.exit(2);
  }
  return n;
}

const runs = Math.round(positive('runs', values.runs));
const chunk = Math.round(positive('chunk', values.chunk));
const minutes = values.minutes === undefined ? undefined : positive('minutes', values.minutes);
const baseSeed = values.seed === undefined ? Date.now() % 1_000_000_007 : Math.round(Number(values.seed));
const targets = values.target ?? Object.keys(TARGETS);
for (const t of targets) {
  if (!(t in TARGETS)) {
    process.stderr.write(`fuzz: no target ${t}; there are: ${Object.keys(TARGETS).join(', ')}\n`);
    process.exit(2);
  }
}

interface Outcome {
  target: string;
  cases: number;
  seconds: number;
  failed: boolean;
}

function runTarget(target: string): Outcome {
  const property = TARGETS[target]!();
  const started = performance.now();
  const budgetMs = minutes === undefined ? Infinity : (minutes * 60_000) / targets.length;
  let cases = 0;
  let lastReport = started;
  for (let i = 0; cases < runs; i++) {
    const seed = (baseSeed + i * 7919) % 2_147_483_647;
    const numRuns = Math.min(chunk, runs - cases);
    const details = fc.check(property, { numRuns, seed });
    cases += details.numRuns;
    if (details.failed) {
      const report = {
        target,
        seed: details.seed,
        path: details.counterexamplePath,
        counterexample: details.counterexample,
        error: String(details.errorInstance instanceof Error ? (details.errorInstance.stack ?? details.errorInstance.message) : details.errorInstance),
      };
      const file = join(resultsDir(), `fuzz-failure-${target}-${Date.now()}.json`);
      writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
      console.log(`\n${target}: FAILED after ${cases} cases; seed ${details.seed}, path ${details.counterexamplePath}`);
      console.log(`counterexample: ${JSON.stringify(details.counterexample)}`);
      console.log(report.error);
      console.log(`written to ${file}`);
      return { target, cases, seconds: (performance.now() - started) / 1000, failed: true };
    }
    const now = performance.now();
    if (now - lastReport > 10_000) {
      lastReport = now;
      console.log(`${target}: ${cases} cases, ${((now - started) / 1000).toFixed(0)} s, no failure`);
    }
    if (now - started > budgetMs) break;
  }
  return { target, cases, seconds: (performance.now() - started) / 1000, failed: false };
}

const outcomes: Outcome[] = [];
console.log(`fuzz: seed ${baseSeed}, up to ${runs} cases per target${minutes === undefined ? '' : `, at most ${minutes} minutes in all`}`);
for (const target of targets) {
  const o = runTarget(target);
  outcomes.push(o);
  console.log(`${target}: ${o.cases} cases in ${o.seconds.toFixed(0)} s${o.failed ? ', FAILED' : ', all passed'}`);
}
const summary = table([
  ['target', 'cases', 'seconds', 'cases/s', 'result'],
  ...outcomes.map((o) => [o.target, String(o.cases), o.seconds.toFixed(0), (o.cases / Math.max(o.seconds, 1e-3)).toFixed(0), o.failed ? 'FAILED' : 'passed']),
]);
console.log(`\n${summary}`);
writeFileSync(join(resultsDir(), `fuzz-${new Date().toISOString().replace(/[:.]/g, '-')}.md`), `seed ${baseSeed}\n\n${summary}\n`);
if (outcomes.some((o) => o.failed)) process.exitCode = 1;
