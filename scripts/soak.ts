// `npm run soak -- --minutes 30`: connections and transfers churned between tcplab and the
// kernel over a real TUN device for N minutes (scripts/lib/soak.ts), sampling the heap,
// connections, TIME-WAIT entries, timers, file descriptors and namespaces. Prints the samples,
// a summary, writes both to scripts/results/soak-<time>.{md,json}, and exits 1 if the heap
// trended up, anything leaked or any exchange lost a byte.
//
//   node --expose-gc dist/scripts/soak.js [--minutes 30] [--concurrency 4] [--loss 0.01]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resultsDir, table } from './lib/report.js';
import { soak, type SoakSample } from './lib/soak.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    concurrency: { type: 'string', default: '4' },
    loss: { type: 'string', default: '0.01' },
    every: { type: 'string', default: '10' },
  },
});

function number(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max) {
    process.stderr.write(`soak: --${name} must be a number in [${min}, ${max}], got ${text}\n`);
    process.exit(2);
  }
  return n;
}

const minutes = number('minutes', values.minutes, 0.1, 24 * 60);
const concurrency = Math.round(number('concurrency', values.concurrency, 1, 64));
const loss = number('loss', values.loss, 0, 0.5);
const every = number('every', values.every, 1, 600);

const mib = (b: number) => (b / 1048576).toFixed(1);
const row = (s: SoakSample) => [String(s.t), mib(s.heapUsed), mib(s.rss), String(s.connections), String(s.timeWait), String(s.timers), String(s.fds), String(s.namespaces), String(s.fromKernel), String(s.fromTcplab)];
const header = ['s', 'heap MiB', 'rss MiB', 'conns', 'time-wait', 'timers', 'fds', 'netns', 'kernel→tcplab', 'tcplab→kernel'];

console.log(`soak: ${minutes} min, ${concurrency} exchanges each way at a time, ${loss * 100}% loss both ways`);
console.log(header.join('\t'));
const result = await soak({
  durationMs: minutes * 60_000,
  concurrency,
  impairment: { loss },
  sampleEveryMs: every * 1000,
  onSample: (s) => console.log(row(s).join('\t')),
});
const summary = table([
  ['figure', 'value'],
  ['duration', `${minutes} min`],
  ['exchanges kernel → tcplab echo', String(result.exchanges.fromKernel)],
  ['exchanges tcplab → kernel echo', String(result.exchanges.fromTcplab)],
  ['bytes echoed and checked', String(result.bytes)],
  ['failed exchanges', String(result.errors.length)],
  ['connections stalled 20 s or more', String(result.stalls.length)],
  ['heap after warm-up (first → last sample)', `${mib(result.heapStart)} → ${mib(result.heapEnd)} MiB`],
  ['heap trend (least squares)', `${(result.heapSlopePerMin / 1024).toFixed(1)} KiB/min`],
  ['most TIME-WAIT entries', String(Math.max(0, ...result.samples.map((s) => s.timeWait)))],
  ['most live connections', String(Math.max(0, ...result.samples.map((s) => s.connections)))],
  ['left after: connections / timers / fds / namespaces', `${result.after.connections} / ${result.after.timers - result.before.timers} / ${result.after.fds - result.before.fds} / ${result.after.namespaces - result.before.namespaces}`],
  ['TcpActiveOpens / TcpPassiveOpens', `${result.counters.TcpActiveOpens ?? 0} / ${result.counters.TcpPassiveOpens ?? 0}`],
  ['TcpRetransSegs / TcpExtTCPTimeouts', `${result.counters.TcpRetransSegs ?? 0} / ${result.counters.TcpExtTCPTimeouts ?? 0}`],
  ['result', result.failures.length === 0 ? 'passed' : `FAILED: ${result.failures.join('; ')}`],
]);
console.log(`\n${summary}`);
for (const stall of result.stalls) console.log(`stalled: ${stall}`);
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const dir = resultsDir();
writeFileSync(join(dir, `soak-${stamp}.md`), `${summary}\n\n${table([header, ...result.samples.map(row)])}\n`);
writeFileSync(join(dir, `soak-${stamp}.json`), `${JSON.stringify({ minutes, concurrency, loss, ...result }, null, 2)}\n`);
console.log(`written to ${join(dir, `soak-${stamp}.md`)} and .json`);
if (result.failures.length > 0) process.exitCode = 1;
