// `tcplab ss`: a running tcplab's socket table, as `ss -tan` prints the kernel's.
import { Command } from 'commander';
import type { SsAnswer } from '../inspect/control-protocol.js';
import { formatSs, selectSockets } from '../inspect/ss-table.js';
import { ALL_STATES, stateBit, stateFilter, StateFilterError, STATE_FILTER_WORDS } from '../inspect/ss-state.js';
import { formatStateCounts, stateCounts } from '../inspect/state-counts.js';
import { fail } from './common.js';
import { addTargetOptions, ask, type TargetOptions } from './control-target.js';

interface SsCliOptions extends TargetOptions {
  all?: boolean;
  listening?: boolean;
  options?: boolean;
  info?: boolean;
  header: boolean;
  counts?: boolean;
  json?: boolean;
}

export function ssCommand(): Command {
  const command = new Command('ss')
    .description("a running tcplab's sockets, as `ss -tan` shows the kernel's (run it from another terminal)")
    .argument('[filter...]', `state FILTER or exclude FILTER, as ss takes them; FILTER: ${STATE_FILTER_WORDS.join(', ')}`)
    .option('-a, --all', 'all sockets (without it, as ss: no LISTEN, TIME-WAIT or SYN-RECV)')
    .option('-l, --listening', 'listening sockets only')
    .option('-o, --options', 'timers: timer:(on|keepalive|timewait|persist,TIME,COUNT)')
    .option('-i, --info', 'congestion control, RTT, windows and byte counts of each connection')
    .option('-H, --no-header', 'no header line')
    .option('-t, --tcp', 'accepted for `ss -tan` habits (tcplab has only TCP)')
    .option('-n, --numeric', 'accepted for `ss -tan` habits (addresses are always numeric)')
    .option('--counts', 'how many sockets are in each state (ss and netstat spellings); without -a or a state filter, as `netstat -n | awk` counts: everything but LISTEN')
    .option('--json', 'the sockets (and counts) as JSON');
  return addTargetOptions(command)
    .addHelpText(
      'after',
      `
Examples:
  tcplab ss -tan                      every socket of the only running tcplab
  tcplab ss -o state time-wait        TIME-WAIT sockets with their timers, timer:(timewait,45sec,0)
  tcplab ss -l                        listeners: Recv-Q = connections waiting for accept, Send-Q = backlog
  tcplab ss --counts                  the answer to: netstat -n | awk '/^tcp/ {++S[$NF]} END {for(a in S) print a, S[a]}'
  tcplab ss -ti --name serve          connection details of the running \`tcplab serve\`
  tcplab ss -a --pid 4242 --json`,
    )
    .action(async (filter: string[], opts: SsCliOptions) => {
      let states: number;
      try {
        states = stateFilter({ all: opts.all, listening: opts.listening }, filter);
      } catch (err) {
        if (err instanceof StateFilterError) fail(err.message);
        throw err;
      }
      // netstat -n lists everything but listeners; --counts answers its question by default.
      if (opts.counts && !opts.all && !opts.listening && filter.length === 0) states = ALL_STATES & ~stateBit('LISTEN');
      const { target, answer } = await ask<SsAnswer>(opts, { op: 'ss' });
      const shown = selectSockets(answer.sockets, states);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ name: target.name, pid: target.pid, now: answer.now, sockets: shown, counts: stateCounts(shown) }, null, 2)}\n`);
      } else if (opts.counts) {
        process.stdout.write(formatStateCounts(stateCounts(shown)));
      } else {
        const screenWidth = process.stdout.isTTY ? process.stdout.columns : undefined;
        process.stdout.write(formatSs(answer.sockets, { states, timers: opts.options, info: opts.info, noHeader: !opts.header, screenWidth }));
      }
    });
}
