// Trace lines: the shared JSON-lines format of `tcplab trace` and trace files (the TcpEvent of
// src/tcp/events.ts, `at` in ms on the stack's clock, plus "local" and "remote" as
// "10.77.0.2:5020" or "[fd00:77::2]:5020"), and a one-line reading of each for people.
import { formatIpAddress } from '../wire/address.js';
import type { RecordedEvent } from '../stack/event-ring.js';
import type { TcpEvent } from '../tcp/events.js';
import type { Endpoint } from '../tcp/outgoing-segment.js';

/** One trace line's object. ssthresh before any loss (infinite) is written as null. */
export type TraceRecord = TcpEvent & { readonly local?: string; readonly remote?: string };

export function endpointText(e: Endpoint): string {
  const a = formatIpAddress(e.address);
  return a.includes(':') ? `[${a}]:${e.port}` : `${a}:${e.port}`;
}

export function traceRecord(entry: RecordedEvent): TraceRecord {
  return {
    ...entry.event,
    ...(entry.local ? { local: endpointText(entry.local) } : {}),
    ...(entry.remote ? { remote: endpointText(entry.remote) } : {}),
  };
}

/** The JSON line (without its newline). */
export function traceLine(entry: RecordedEvent): string {
  return JSON.stringify(traceRecord(entry));
}

/** A parsed trace line's value, if it is a trace record (an object with a type and an `at`). */
export function asTraceRecord(value: unknown): TraceRecord | undefined {
  const v = value as { type?: unknown; at?: unknown } | null;
  return typeof v === 'object' && v !== null && typeof v.type === 'string' && typeof v.at === 'number' ? (value as TraceRecord) : undefined;
}

/** Reads one trace line; undefined for a line that is not a trace record. */
export function parseTraceLine(line: string): TraceRecord | undefined {
  try {
    return asTraceRecord(JSON.parse(line));
  } catch {
    return undefined;
  }
}

/**
 *    12.345s  10.77.0.2:50000 ⇄ 10.77.0.1:43744  ESTABLISHED → CLOSE-WAIT (fin)
 *    13.101s  10.77.0.2:50000 ⇄ 10.77.0.1:43744  retransmission timeout seq 1200 len 1448 attempt 2 rto 400 ms
 * Types this version does not know are shown by name with their fields.
 */
export function describeTraceRecord(r: TraceRecord): string {
  const ends = r.local !== undefined || r.remote !== undefined ? `${r.local ?? '?'} ⇄ ${r.remote ?? '?'}` : '(no connection)';
  return `${(r.at / 1000).toFixed(3).padStart(10)}s  ${ends}  ${describeEvent(r)}`;
}

function describeEvent(r: TraceRecord): string {
  switch (r.type) {
    case 'state':
      return `${r.from} → ${r.to} (${r.cause})`;
    case 'retransmission':
      return `retransmission ${r.kind} seq ${r.seq} len ${r.len}${r.attempt ? ` attempt ${r.attempt}` : ''}${r.rto ? ` rto ${r.rto} ms` : ''}`;
    case 'rtt-sample':
      return `rtt ${ms(r.rtt)} srtt ${ms(r.srtt)} rttvar ${ms(r.rttvar)} rto ${ms(r.rto)}`;
    case 'cwnd':
      return `cwnd ${r.cwnd} ssthresh ${typeof r.ssthresh === 'number' && Number.isFinite(r.ssthresh) ? r.ssthresh : '∞'} (${r.cause})`;
    case 'window':
      return `${r.direction} window ${r.change === 'zero' ? 'closed (zero)' : `open ${r.window}`}`;
    case 'rcvbuf':
      return `receive buffer grown to ${r.rcvbuf} (rcv_space ${r.space}, rcv_rtt ${ms(r.rcvRtt)})`;
    case 'drop':
      return `drop ${r.reason}${r.layer ? ` (${r.layer})` : ''}${r.seq !== undefined ? ` seq ${r.seq} len ${r.len ?? 0}` : ''}`;
    default: {
      const { type, at: _at, local: _l, remote: _r, ...rest } = r as { type: string; at: number; local?: string; remote?: string };
      return `${type} ${JSON.stringify(rest)}`;
    }
  }
}

function ms(x: number): string {
  return `${Number.isInteger(x) ? x : x.toFixed(3)} ms`;
}
