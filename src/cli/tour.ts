// `tcplab tour` and `tcplab scenario`: run scenarios, print their timelines, and end with
// the table of TCP states reached on each side.
import { Command, InvalidArgumentError } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeScenarioDiagram } from '../lab/scenario-diagram.js';
import { runScenario } from '../lab/scenario-runner.js';
import type { ScenarioResult } from '../lab/scenario.js';
import { SCENARIOS, SCENARIOS_TO_COME } from '../lab/scenarios/index.js';
import { intArg, labPrivileges } from './common.js';
import { StatusLine } from './status-line.js';

const STATES = ['LISTEN', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT', 'CLOSED'];

/** ss spells two states differently from RFC 9293. */
function fromSs(state: string): string {
  return state === 'ESTAB' ? 'ESTABLISHED' : state === 'SYN-RECV' ? 'SYN-RECEIVED' : state;
}

function resultLine(result: ScenarioResult, diagram?: string): string {
  return `  → ${result.ok ? 'passed' : 'FAILED'} in ${(result.durationMs / 1000).toFixed(1)} s${result.capture ? `; capture: ${result.capture}` : ''}${diagram ? `; state diagram: ${diagram}` : ''}`;
}

/** Timeline lines scroll; under them, on a terminal, the scenario, its time and its countdown. */
function liveOutput(label: string): { onLine: (line: string) => void; onStatus: (countdown: string) => void; done: (last: string) => void } {
  const status = new StatusLine();
  const started = performance.now();
  let countdown = '';
  const draw = (): void => status.set(`  ▸ ${label}  ${((performance.now() - started) / 1000).toFixed(1)} s${countdown ? `  ·  ${countdown}` : ''}`);
  return {
    onLine: (line) => {
      status.line(`  ${line}`);
      draw();
    },
    onStatus: (text) => {
      countdown = text;
      draw();
    },
    done: (last) => {
      status.clear();
      status.line(last);
    },
  };
}

/** Which link the scenarios run over: the kernel over TUN, or, with --memory or where no TUN
 *  device or namespace can be had, a second tcplab stack over an in-memory link. */
function chooseLink(memory: boolean | undefined): 'tun' | 'memory' {
  if (memory) return 'memory';
  const missing = labPrivileges();
  if (missing === undefined) return 'tun';
  process.stdout.write(`tcplab: no kernel peer here: ${missing}.\nRunning the scenarios that need no kernel tools with tcplab at both ends, over an in-memory link (the other end is a second tcplab stack in Linux's defaults).\n`);
  return 'memory';
}

function stateTable(results: readonly ScenarioResult[]): string {
  const ours = new Set(results.flatMap((r) => r.tcplabStates));
  const theirs = new Set(results.flatMap((r) => r.kernelStates.map(fromSs)));
  // tcplab's listeners are LISTEN whenever a scenario serves; the engine reports connections only.
  if (results.some((r) => r.tcplabStates.includes('SYN-RECEIVED'))) ours.add('LISTEN');
  const where = (state: string, side: 'ours' | 'theirs'): string =>
    results
      .filter((r) => (side === 'ours' ? r.tcplabStates : r.kernelStates.map(fromSs)).includes(state))
      .map((r) => r.name)
      .slice(0, 3)
      .join(', ');
  const rows = STATES.map((s) => `  ${s.padEnd(13)} ${(ours.has(s) ? 'yes' : '—').padEnd(7)} ${(theirs.has(s) ? 'yes' : '—').padEnd(7)} ${where(s, 'ours') || where(s, 'theirs')}`);
  const them = results.some((r) => r.link === 'memory') ? 'peer  ' : 'kernel';
  return [`  state         tcplab  ${them}  seen in`, ...rows].join('\n');
}

export function tourCommand(): Command {
  return new Command('tour')
    .description('run every scenario in private network namespaces, with timelines and captures, and the table of states reached')
    .option('--quick', 'shorten the long TCP timers (MSL 1 s, FIN timeout 3 s, 2 SYN retries)')
    .option('--captures <dir>', 'where to write <scenario>.pcap and <scenario>.svg (its state diagram)', 'captures')
    .option('--only <names>', 'comma-separated scenarios to run')
    .option('--json', 'print the results as JSON')
    .option('--memory', 'no kernel: a second tcplab stack at the other end, over an in-memory link (no privileges needed)')
    .addHelpText('after', '\nExamples:\n  tcplab tour --quick\n  tcplab tour --only close-wait,time-wait --captures /tmp/caps\n  tcplab tour --quick --memory      (anywhere: no TUN device, no root)')
    .action(async (opts: { quick?: boolean; captures: string; only?: string; json?: boolean; memory?: boolean }) => {
      const link = chooseLink(opts.memory);
      mkdirSync(opts.captures, { recursive: true });
      const wanted = opts.only?.split(',').map((s) => s.trim());
      for (const name of wanted ?? []) if (!SCENARIOS.some((s) => s.name === name)) throw new InvalidArgumentError(`no scenario "${name}"`);
      const results: ScenarioResult[] = [];
      const wantedHere = SCENARIOS.filter((s) => !wanted || wanted.includes(s.name));
      const chosen = link === 'memory' ? wantedHere.filter((s) => s.needsKernel === undefined) : wantedHere;
      const skipped = wantedHere.filter((s) => !chosen.includes(s));
      if (skipped.length > 0 && !opts.json) process.stdout.write(`Skipped without the kernel: ${skipped.map((s) => `${s.name} (${s.needsKernel})`).join(', ')}.\n`);
      for (const [i, scenario] of chosen.entries()) {
        if (!opts.json) process.stdout.write(`\n== ${scenario.name}: ${scenario.summary}\n`);
        const live = opts.json ? undefined : liveOutput(`[${i + 1}/${chosen.length}] ${scenario.name}`);
        const result = await runScenario(scenario, {
          quick: opts.quick,
          pcap: join(opts.captures, `${scenario.name}.pcap`),
          controlName: 'tour',
          onLine: live?.onLine,
          onStatus: live?.onStatus,
          link,
        });
        results.push(result);
        // The state diagram of its most telling connection, both ends drawn, beside the capture.
        const svg = join(opts.captures, `${scenario.name}.svg`);
        const drawn = writeScenarioDiagram(scenario, result, svg);
        live?.done(resultLine(result, drawn ? svg : undefined));
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      } else {
        const passed = results.filter((r) => r.ok).length;
        const source = link === 'memory' ? "peer: the second stack's socket table" : 'kernel: ss -tan in the namespace';
        process.stdout.write(`\nTCP states reached (tcplab: its engine's state changes; ${source})\n${stateTable(results)}\n`);
        process.stdout.write(`\n${passed} of ${results.length} scenarios passed. Captures are in ${opts.captures}/ (tcpdump -nn -r ${opts.captures}/<scenario>.pcap).\n`);
        if (SCENARIOS_TO_COME.length > 0 && !wanted) process.stdout.write(`Not written yet: ${SCENARIOS_TO_COME.join(', ')}.\n`);
      }
      process.exitCode = results.every((r) => r.ok) ? 0 : 1;
    });
}

export function scenarioCommand(): Command {
  return new Command('scenario')
    .description('run one scenario')
    .argument('<name>', `one of: ${SCENARIOS.map((s) => s.name).join(', ')}`, (name: string) => {
      if (!SCENARIOS.some((s) => s.name === name)) throw new InvalidArgumentError(`no scenario "${name}"; choose from ${SCENARIOS.map((s) => s.name).join(', ')}`);
      return name;
    })
    .option('--pcap <file>', 'write a capture of every packet on the TUN device, and the state diagram beside it (.svg)')
    .option('--quick', 'shorten the long TCP timers')
    .option('--msl <ms>', 'maximum segment lifetime (TIME-WAIT = 2 × msl)', intArg('msl', 0, 3_600_000))
    .option('--json', 'print the result as JSON')
    .option('--memory', 'no kernel: a second tcplab stack at the other end, over an in-memory link (no privileges needed)')
    .addHelpText('after', '\nExamples:\n  tcplab scenario close-wait --pcap close-wait.pcap\n  tcplab scenario time-wait --msl 5000\n  tcplab scenario closing --memory')
    .action(async (name: string, opts: { pcap?: string; quick?: boolean; msl?: number; json?: boolean; memory?: boolean }) => {
      const link = chooseLink(opts.memory);
      const scenario = SCENARIOS.find((s) => s.name === name)!;
      if (link === 'memory' && scenario.needsKernel !== undefined) {
        process.stderr.write(`tcplab: ${name} needs the real kernel (it ${scenario.needsKernel}), which cannot run here\n`);
        process.exitCode = 1;
        return;
      }
      const live = opts.json ? undefined : liveOutput(scenario.name);
      const result = await runScenario(scenario, { pcap: opts.pcap, quick: opts.quick, msl: opts.msl, onLine: live?.onLine, onStatus: live?.onStatus, link });
      // With a capture, its state diagram beside it (x.pcap → x.svg).
      const svg = opts.pcap ? `${opts.pcap.replace(/\.pcap$/, '')}.svg` : undefined;
      const drawn = svg !== undefined && writeScenarioDiagram(scenario, result, svg);
      if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else live?.done(resultLine(result, drawn ? svg : undefined));
      process.exitCode = result.ok ? 0 : 1;
    });
}
