// `tcplab trace`: a running tcplab's recent events (state changes, retransmissions with the RTO,
// RTT samples, cwnd and ssthresh, windows closing and opening, drops with their reason), and
// with --follow every new one as it happens.
import { Command } from 'commander';
import type { TraceAnswer } from '../inspect/control-protocol.js';
import { asTraceRecord, describeTraceRecord } from '../inspect/trace-format.js';
import { intArg } from './common.js';
import { addTargetOptions, ask, type TargetOptions } from './control-target.js';

interface TraceCliOptions extends TargetOptions {
  follow?: boolean;
  json?: boolean;
  limit?: number;
}

export function traceCommand(): Command {
  const command = new Command('trace')
    .description("a running tcplab's recent TCP events, and with --follow each new one as it happens")
    .option('-f, --follow', 'keep printing events as they happen, until Ctrl-C')
    .option('-n, --limit <n>', 'only the last N recent events', intArg('limit', 0, 1_000_000))
    .option('--json', 'JSON lines, the trace file format: the event with "at" (ms, the stack clock), "local" and "remote"');
  return addTargetOptions(command)
    .addHelpText(
      'after',
      `
Examples:
  tcplab trace                          the events the running tcplab still holds (its last 4096)
  tcplab trace -f                       and every new one, until Ctrl-C
  tcplab trace --json -n 100 > t.jsonl  the last 100 as JSON lines (tcplab diagram reads them)
  tcplab trace -f --json | jq 'select(.type == "drop")'`,
    )
    .action(async (opts: TraceCliOptions) => {
      const print = (value: unknown): void => {
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(value)}\n`);
          return;
        }
        const record = asTraceRecord(value);
        if (record) process.stdout.write(`${describeTraceRecord(record)}\n`);
      };
      const abort = new AbortController();
      const stop = (): void => abort.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        const { answer } = await ask<TraceAnswer>(opts, { op: 'trace', follow: opts.follow ?? false, ...(opts.limit !== undefined ? { limit: opts.limit } : {}) }, { onLine: print, signal: abort.signal });
        if (!opts.json && !opts.follow && answer.total > answer.held) process.stderr.write(`(${answer.total - answer.held} older events are no longer held)\n`);
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
