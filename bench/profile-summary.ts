// Where the time or the memory went, from a V8 profile: the functions with the most self time
// (a .cpuprofile, as `npm run bench -- --profile DIR` writes) or the most bytes allocated (a
// .heapprofile, as `--heap-profile DIR` writes), then the same by file.
//
//   node dist/bench/profile-summary.js FILE [TOP=30]
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  samples: number[];
  timeDeltas: number[];
}
interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

const [file, topText = '30'] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: node dist/bench/profile-summary.js FILE.cpuprofile|FILE.heapprofile [TOP]\n');
  process.exit(2);
}
const top = Number(topText);

function where(f: CallFrame): { fn: string; file: string } {
  const short = f.url.split('/').slice(-2).join('/');
  return { fn: `${f.functionName || '(anonymous)'} ${short}:${f.lineNumber + 1}`, file: short || f.functionName };
}

/** Adds `amount` under `fn` and under its file. */
function tally(byFn: Map<string, number>, byFile: Map<string, number>, f: CallFrame, amount: number): void {
  const w = where(f);
  byFn.set(w.fn, (byFn.get(w.fn) ?? 0) + amount);
  byFile.set(w.file, (byFile.get(w.file) ?? 0) + amount);
}

const data = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile | { head: HeapNode };
const byFn = new Map<string, number>();
const byFile = new Map<string, number>();
let unit: string;
if ('head' in data) {
  unit = 'MB allocated';
  const walk = (n: HeapNode): void => {
    tally(byFn, byFile, n.callFrame, n.selfSize / 1e6);
    n.children.forEach(walk);
  };
  walk(data.head);
} else {
  unit = 'ms of self time';
  const byId = new Map(data.nodes.map((n) => [n.id, n.callFrame]));
  data.samples.forEach((id, i) => tally(byFn, byFile, byId.get(id) as CallFrame, (data.timeDeltas[i] ?? 0) / 1000));
}
const total = [...byFn.values()].reduce((a, b) => a + b, 0);
const print = (title: string, m: Map<string, number>): void => {
  console.log(`${title} (${total.toFixed(1)} ${unit} in all)`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * v) / total).toFixed(1).padStart(6)}%  ${v.toFixed(1).padStart(9)}  ${k}`);
};
print('by function', byFn);
console.log('');
print('by file', byFile);
