// `tcplab nstat`: a running tcplab's counters as `nstat` shows the kernel's, with Linux's MIB
// names: what moved since the last `tcplab nstat`, or absolute values with -a.
import { Command } from 'commander';
import type { NstatAnswer } from '../inspect/control-protocol.js';
import { formatNstat, formatNstatJson } from '../inspect/nstat.js';
import { addTargetOptions, ask, type TargetOptions } from './control-target.js';

interface NstatCliOptions extends TargetOptions {
  ignore?: boolean;
  zeros?: boolean;
  noupdate?: boolean;
  reset?: boolean;
  json?: boolean;
}

export function nstatCommand(): Command {
  const command = new Command('nstat')
    .description("a running tcplab's counters, as `nstat` shows the kernel's: increments since the last read (Linux MIB names, and TcplabDrop* for every reason a packet was dropped)")
    .argument('[pattern...]', "shell patterns: only the counters they match (e.g. 'TcpExtListen*')")
    .option('-a, --ignore', 'absolute values, not increments (nstat -a)')
    .option('-z, --zeros', 'counters that did not move too')
    .option('-s, --noupdate', 'do not remember this read (the next one shows the same increments)')
    .option('-r, --reset', 'forget the last read first (so: absolute values)')
    .option('--json', '{"kernel":{"Counter":value,...}} as nstat --json');
  return addTargetOptions(command)
    .addHelpText(
      'after',
      `
The first read shows the values since the tcplab started; each later one what moved since the
one before (the running tcplab remembers, as nstat's history file does). The rate column is 0.0,
as nstat prints it without its daemon.

Examples:
  tcplab nstat                         what moved since the last tcplab nstat
  tcplab nstat -az 'TcpExtListen*'     ListenOverflows and ListenDrops, zeros included (seed 001)
  tcplab nstat -a TcpExtTW TcpExtTWKilled TcpExtTWRecycled
  tcplab nstat 'TcplabDrop*'           every packet dropped, by reason
  tcplab nstat --name serve --json`,
    )
    .action(async (patterns: string[], opts: NstatCliOptions) => {
      const { answer } = await ask<NstatAnswer>(opts, { op: 'nstat', options: { absolute: opts.ignore, zeros: opts.zeros, noUpdate: opts.noupdate, reset: opts.reset, patterns } });
      process.stdout.write(opts.json ? formatNstatJson(answer.counters) : formatNstat(answer.counters));
    });
}
