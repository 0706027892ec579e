// `npm run faults`: tcplab against the Linux kernel over a real TUN device, byte-exact (sha256)
// in both directions under each impairment of issue 8 (5% loss, 5% duplication, 5% reordering,
// 1% corruption, 50 ms ± 20 ms delay), applied by tcplab's FaultLink to both directions.
// Prints a table and writes it, with every figure, to scripts/results/faults-<time>.{md,json}.
//
//   node dist/scripts/faults.js [--mb 100] [--only NAME] [--direction kernel-to-tcplab|tcplab-to-kernel] [--seed N]
//
// The kernel runs CUBIC (Linux's default) whatever the host uses, and the device has no IPv6.
//
// Needs root (a private namespace and a TUN device, removed at the end).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KernelPeer } from '../src/lab/kernel-peer.js';
import { Netns } from '../src/lab/netns.js';
import { IMPAIRMENTS, impairedTransfer, type TransferDirection, type TransferResult } from './lib/impaired-transfer.js';
import { resultsDir, table } from './lib/report.js';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '100' },
    only: { type: 'string' },
    seed: { type: 'string', default: '1' },
    direction: { type: 'string' },
  },
});

const mb = Number(values.mb);
if (!Number.isFinite(mb) || mb <= 0 || mb > 10_000) {
  process.stderr.write(`faults: --mb must be a number of megabytes in (0, 10000], got ${values.mb}\n`);
  process.exit(2);
}
const bytes = Math.round(mb * 1_000_000);
const seed = Number(values.seed);
const cases = IMPAIRMENTS.filter((c) => values.only === undefined || c.name.startsWith(values.only));
if (cases.length === 0) {
  process.stderr.write(`faults: no impairment named ${values.only}; there are: ${IMPAIRMENTS.map((c) => c.name).join(', ')}\n`);
  process.exit(2);
}

interface Row {
  impairment: string;
  direction: TransferDirection;
  result: TransferResult;
}

const DIRECTIONS = (['kernel-to-tcplab', 'tcplab-to-kernel'] as const).filter((d) => values.direction === undefined || d === values.direction) as TransferDirection[];
if (DIRECTIONS.length === 0) {
  process.stderr.write(`faults: --direction is kernel-to-tcplab or tcplab-to-kernel, got ${values.direction}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const ns = Netns.create('tcplab-f');
  const peer = await KernelPeer.start(ns);
  const rows: Row[] = [];
  let port = 5100;
  try {
    for (const c of cases) {
      for (const direction of DIRECTIONS) {
        process.stdout.write(`${c.name}, ${direction}, ${mb} MB ... `);
        const result = await impairedTransfer({ ns, peer, impairment: c.impairment, direction, bytes, seed, port: port++ });
        rows.push({ impairment: c.name, direction, result });
        process.stdout.write(`${result.sha256Match ? 'byte-exact' : 'MISMATCH'} in ${result.seconds.toFixed(1)} s, ${result.goodputMbps.toFixed(1)} Mbit/s\n`);
      }
    }
  } finally {
    await peer.stop();
    ns.destroy();
  }
  const lines = report(rows);
  console.log(`\n${lines}`);
  const dir = resultsDir();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(dir, `faults-${stamp}.md`), `${lines}\n`);
  writeFileSync(join(dir, `faults-${stamp}.json`), `${JSON.stringify({ mb, seed, rows }, null, 2)}\n`);
  console.log(`\nwritten to ${join(dir, `faults-${stamp}.md`)} and .json`);
  if (rows.some((r) => !r.result.sha256Match || !corruptionAccounted(r.result))) process.exitCode = 1;
}

/** Every corrupted packet was refused by the end it reached: counted under a drop counter, or
 *  (the kernel) discarded without one, as Linux does for a data offset past the segment. */
function corruptionAccounted(r: TransferResult): boolean {
  const { toTcplab, toKernel } = r.corruption;
  return toTcplab.caughtTotal === toTcplab.injected && toKernel.caughtTotal + toKernel.uncounted === toKernel.injected;
}

function report(rows: Row[]): string {
  const header = ['impairment', 'direction', 'MB', 'byte-exact', 'seconds', 'goodput Mbit/s', 'tcplab retrans', 'kernel retrans', 'lost/dup/reord/corrupt (in+out)', 'corrupt caught'];
  const body = rows.map(({ impairment, direction, result: r }) => {
    const f = (k: 'lost' | 'duplicated' | 'reordered' | 'corrupted') => r.faults.in[k] + r.faults.out[k];
    const injected = r.corruption.toTcplab.injected + r.corruption.toKernel.injected;
    const caught = r.corruption.toTcplab.caughtTotal + r.corruption.toKernel.caughtTotal;
    const uncounted = r.corruption.toKernel.uncounted;
    return [
      impairment,
      direction === 'kernel-to-tcplab' ? 'kernel → tcplab' : 'tcplab → kernel',
      String(r.bytes / 1e6),
      r.sha256Match ? 'yes' : 'NO',
      r.seconds.toFixed(1),
      r.goodputMbps.toFixed(1),
      String(r.tcplab.TcpRetransSegs ?? 0),
      String(r.kernel.TcpRetransSegs ?? 0),
      `${f('lost')}/${f('duplicated')}/${f('reordered')}/${f('corrupted')}`,
      injected === 0 ? '—' : `${caught} of ${injected}${uncounted > 0 ? ` (+${uncounted} dropped uncounted by Linux)` : ''}`,
    ];
  });
  return table([header, ...body]);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
