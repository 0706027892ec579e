// `tcplab diagram`: pictures from a trace or a capture, as SVG files any browser opens. The
// state diagram with the path each end of a connection took, the time-sequence graph of one
// direction, and cwnd/ssthresh/RTT over time.
import { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { congestionSvg } from '../inspect/diagram/congestion.js';
import { bytesSent, conversations, tcpSegments, type CapturedPacket, type Conversation } from '../inspect/diagram/segments.js';
import { stateDiagramSvg } from '../inspect/diagram/state-diagram.js';
import { pathFromEvents, type StatePath } from '../inspect/diagram/state-path.js';
import { timeSequenceSvg } from '../inspect/diagram/time-sequence.js';
import { parseTrace, traceConnections, type TraceConnection, type TraceLine } from '../inspect/diagram/trace-lines.js';
import { readPcap } from '../link/pcap-reader.js';
import type { StateChangeEvent } from '../tcp/events.js';
import { fail } from './common.js';

/** Something a picture can be drawn for: a connection, named by its two ends. */
interface Choice<T> {
  readonly a: string;
  readonly b: string;
  /** How busy it is (events, segments), to pick the busiest. */
  readonly weight: number;
  readonly what: string;
  readonly item: T;
}

function readInput(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    fail(e.code === 'ENOENT' ? `${file}: no such file` : `${file}: ${e.message}`);
  }
}

/**
 * The connection `--conn` names: "A-B" in either order, or any part of it (a port) that names
 * one connection only. Without `--conn`, the busiest; when there are several, they are listed
 * on stderr so the user can pick another.
 */
function choose<T>(choices: readonly Choice<T>[], conn: string | undefined, source: string): Choice<T> {
  if (choices.length === 0) fail(`${source}: no TCP connection in it`);
  const list = (cs: readonly Choice<T>[]): string =>
    cs
      .slice(0, 20)
      .map((c) => `  ${c.a}-${c.b}  (${c.what})`)
      .join('\n') + (cs.length > 20 ? `\n  … and ${cs.length - 20} more` : '');
  if (conn !== undefined) {
    const exact = choices.filter((c) => conn === `${c.a}-${c.b}` || conn === `${c.b}-${c.a}`);
    if (exact.length === 1) return exact[0];
    const partial = choices.filter((c) => `${c.a}-${c.b}`.includes(conn));
    if (partial.length === 1) return partial[0];
    if (partial.length === 0) fail(`--conn ${conn}: no such connection in ${source}; it has:\n${list(choices)}`);
    fail(`--conn ${conn} matches ${partial.length} connections in ${source}; give both ends, LOCAL-REMOTE:\n${list(partial)}`);
  }
  const busiest = choices.reduce((x, y) => (y.weight > x.weight ? y : x));
  if (choices.length > 1) {
    process.stderr.write(`${source} has ${choices.length} connections; drawing the busiest, ${busiest.a}-${busiest.b}. Pick another with --conn:\n${list(choices)}\n`);
  }
  return busiest;
}

function loadTrace(file: string): TraceConnection[] {
  const trace = parseTrace(new TextDecoder().decode(readInput(file)));
  if (trace.malformed.length > 0) {
    process.stderr.write(`${file}: ${trace.malformed.length} line(s) are not trace events and were skipped (line ${trace.malformed.slice(0, 5).join(', ')}${trace.malformed.length > 5 ? ', …' : ''})\n`);
  }
  if (trace.lines.length === 0) fail(`${file}: no trace events in it (expected JSON lines as \`tcplab trace\` writes them)`);
  return traceConnections(trace.lines);
}

/** A trace's connections with something to draw (weight > 0), and the one `--conn` names. */
function traceConnection(file: string, conn: string | undefined, weight: (c: TraceConnection) => number, nothing: string): { chosen: TraceConnection; all: TraceConnection[] } {
  const all = loadTrace(file).filter((c) => weight(c) > 0);
  if (all.length === 0) fail(`${file}: ${nothing}`);
  const choices = all.map((c) => ({ a: c.local, b: c.remote, weight: weight(c), what: `${c.lines.length} events`, item: c }));
  return { chosen: choose(choices, conn, file).item, all };
}

function stateEvents(lines: readonly TraceLine[]): StateChangeEvent[] {
  return lines.filter((l): l is TraceLine & StateChangeEvent => l.type === 'state');
}

function write(file: string, svg: string): void {
  try {
    writeFileSync(file, svg);
  } catch (err) {
    fail(`cannot write ${file}: ${(err as Error).message}`);
  }
  process.stdout.write(`wrote ${file}\n`);
}

function statesCommand(): Command {
  return new Command('states')
    .description('the RFC 9293 state diagram with the path a connection took (and its peer, when the trace has both ends)')
    .requiredOption('--trace <file>', 'trace file: JSON lines of events, as `tcplab trace` writes them')
    .option('--conn <local-remote>', 'the connection, e.g. 10.77.0.2:41234-10.77.0.1:5004 (or just one port)')
    .option('-o, --output <file>', 'the SVG file to write', 'states.svg')
    .addHelpText('after', '\nExamples:\n  tcplab diagram states --trace run.jsonl -o states.svg\n  tcplab diagram states --trace run.jsonl --conn 41234 -o states.svg')
    .action((opts: { trace: string; conn?: string; output: string }) => {
      const { chosen, all: withStates } = traceConnection(opts.trace, opts.conn, (c) => stateEvents(c.lines).length, 'no state change in it');
      const paths: StatePath[] = [{ name: 'tcplab', endpoint: chosen.local, source: 'state events in the trace', steps: pathFromEvents(stateEvents(chosen.lines)) }];
      // Both ends are tcplab's when it talked to itself: draw the other end too.
      const peer = withStates.find((c) => c.local === chosen.remote && c.remote === chosen.local);
      if (peer) paths.push({ name: 'peer', endpoint: peer.local, source: 'its state events in the same trace', steps: pathFromEvents(stateEvents(peer.lines)) });
      write(opts.output, stateDiagramSvg({ title: `${chosen.local} ⇄ ${chosen.remote}`, subtitle: `The states of this connection in ${basename(opts.trace)}.`, paths, clockNote: 'Times since the first state change shown, on the stack’s clock.' }));
    });
}

function capturedPackets(file: string): CapturedPacket[] {
  let pcap;
  try {
    pcap = readPcap(readInput(file));
  } catch (err) {
    fail(`${file}: ${(err as Error).message}`);
  }
  const packets: CapturedPacket[] = [];
  for (const r of pcap.records) {
    if (!r.ip) continue;
    // The link header's bytes are not the IP packet's: subtract them from the wire length.
    packets.push({ at: Number(r.timestampNs) / 1e6, ip: r.ip, wireLength: r.originalLength - (r.data.length - r.ip.length) });
  }
  return packets;
}

function tsgCommand(): Command {
  return new Command('tsg')
    .description('time-sequence graph (Stevens / tcptrace style) of one direction of a connection, from a capture')
    .requiredOption('--pcap <file>', 'a pcap capture (tcplab --pcap, tcpdump -w)')
    .option('--conn <a-b>', 'the connection, e.g. 10.77.0.2:41234-10.77.0.1:5004 (or just one port)')
    .option('--direction <sender>', 'the end whose data to plot, e.g. 10.77.0.2:41234 (default: the one that sent more)')
    .option('-o, --output <file>', 'the SVG file to write', 'tsg.svg')
    .addHelpText('after', '\nExamples:\n  tcplab diagram tsg --pcap captures/time-wait.pcap -o tsg.svg\n  tcplab diagram tsg --pcap bulk.pcap --conn 5001 --direction 10.77.0.1:5001 -o tsg.svg')
    .action((opts: { pcap: string; conn?: string; direction?: string; output: string }) => {
      const { segments } = tcpSegments(capturedPackets(opts.pcap));
      const choices: Choice<Conversation>[] = conversations(segments).map((c) => {
        const sent = bytesSent(c);
        return { a: c.a, b: c.b, weight: sent.a + sent.b + c.segments.length, what: `${c.segments.length} segments, ${sent.a + sent.b} bytes of data`, item: c };
      });
      const c = choose(choices, opts.conn, opts.pcap).item;
      let sender: string;
      if (opts.direction !== undefined) {
        const ends = [c.a, c.b].filter((e) => e === opts.direction || e.endsWith(`:${opts.direction}`) || e.startsWith(`${opts.direction}`));
        if (ends.length !== 1) fail(`--direction ${opts.direction}: name one end of ${c.a}-${c.b} (${c.a} or ${c.b})`);
        sender = ends[0];
      } else {
        const sent = bytesSent(c);
        sender = sent.b > sent.a ? c.b : c.a;
      }
      write(opts.output, timeSequenceSvg({ conversation: c, sender }));
    });
}

function cwndCommand(): Command {
  return new Command('cwnd')
    .description('cwnd, ssthresh and RTT over time for a connection, from a trace')
    .requiredOption('--trace <file>', 'trace file: JSON lines of events, as `tcplab trace` writes them')
    .option('--conn <local-remote>', 'the connection, e.g. 10.77.0.2:41234-10.77.0.1:5004 (or just one port)')
    .option('-o, --output <file>', 'the SVG file to write', 'cwnd.svg')
    .addHelpText('after', '\nExamples:\n  tcplab diagram cwnd --trace run.jsonl -o cwnd.svg\n  tcplab diagram cwnd --trace run.jsonl --conn 10.77.0.2:41234-10.77.0.1:5001 -o cwnd.svg')
    .action((opts: { trace: string; conn?: string; output: string }) => {
      const busy = (c: TraceConnection): number => c.lines.filter((l) => l.type !== 'state').length;
      const { chosen } = traceConnection(opts.trace, opts.conn, busy, 'no cwnd, RTT or retransmission event in it');
      write(opts.output, congestionSvg({ events: chosen.lines, title: `cwnd, ssthresh and RTT: ${chosen.local} → ${chosen.remote}`, subtitle: `from ${basename(opts.trace)}` }));
    });
}

export function diagramCommand(): Command {
  return new Command('diagram')
    .description('draw pictures (SVG) from a trace or a capture: the state diagram, a time-sequence graph, cwnd and RTT')
    .addCommand(statesCommand())
    .addCommand(tsgCommand())
    .addCommand(cwndCommand())
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  tcplab diagram states --trace run.jsonl -o states.svg',
        '  tcplab diagram states --trace run.jsonl --conn 10.77.0.2:41234-10.77.0.1:5004 -o states.svg',
        '  tcplab diagram tsg --pcap captures/time-wait.pcap -o tsg.svg',
        '  tcplab diagram tsg --pcap bulk.pcap --conn 5001 --direction 10.77.0.2:41234 -o tsg.svg',
        '  tcplab diagram cwnd --trace run.jsonl -o cwnd.svg',
        '',
        'Without --conn the busiest connection is drawn and the others are listed. The tour writes',
        'captures/<scenario>.svg, the state diagram of each scenario with both ends, by itself.',
      ].join('\n'),
    );
}
