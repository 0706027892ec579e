// Trace files as the pictures read them: JSON lines, each a TcpEvent of src/tcp/events.ts plus
// the connection's "local" and "remote" ends. Lines of a type not known here are kept aside and
// ignored (the trace may grow new types); lines that are not JSON objects are counted.
import type { CwndChangeEvent, RetransmissionEvent, RttSampleEvent, StateChangeEvent } from '../../tcp/events.js';

export type KnownEvent = StateChangeEvent | RetransmissionEvent | RttSampleEvent | CwndChangeEvent;

export type TraceLine = KnownEvent & { readonly local: string; readonly remote: string };

export interface ParsedTrace {
  readonly lines: readonly TraceLine[];
  /** Lines of another event type (kept out of the pictures). */
  readonly otherTypes: number;
  /** Lines that are not a JSON object with the fields an event needs: their 1-based numbers. */
  readonly malformed: readonly number[];
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

function valid(o: Record<string, unknown>): boolean {
  if (!isStr(o.local) || !isStr(o.remote) || !isNum(o.at)) return false;
  switch (o.type) {
    case 'state':
      return isStr(o.from) && isStr(o.to) && isStr(o.cause);
    case 'retransmission':
      return isNum(o.seq) && isNum(o.len) && isStr(o.kind);
    case 'rtt-sample':
      return isNum(o.rtt) && isNum(o.srtt) && isNum(o.rto);
    case 'cwnd':
      // ssthresh is Infinity before the first loss, which JSON writes as null.
      return isNum(o.cwnd) && (isNum(o.ssthresh) || o.ssthresh === null);
    default:
      return false;
  }
}

const KNOWN = new Set(['state', 'retransmission', 'rtt-sample', 'cwnd']);

export function parseTrace(text: string): ParsedTrace {
  const lines: TraceLine[] = [];
  const malformed: number[] = [];
  let otherTypes = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      malformed.push(i + 1);
      return;
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) {
      malformed.push(i + 1);
      return;
    }
    const rec = o as Record<string, unknown>;
    if (!KNOWN.has(rec.type as string)) {
      if (isStr(rec.type)) otherTypes++;
      else malformed.push(i + 1);
      return;
    }
    if (!valid(rec)) {
      malformed.push(i + 1);
      return;
    }
    lines.push((rec.type === 'cwnd' && rec.ssthresh === null ? { ...rec, ssthresh: Infinity } : rec) as unknown as TraceLine);
  });
  return { lines, otherTypes, malformed };
}

export interface TraceConnection {
  readonly local: string;
  readonly remote: string;
  readonly lines: readonly TraceLine[];
}

/** The trace's connections (one per local ⇄ remote pair), in order of first appearance. */
export function traceConnections(lines: readonly TraceLine[]): TraceConnection[] {
  const byKey = new Map<string, TraceLine[]>();
  for (const l of lines) {
    const key = `${l.local}-${l.remote}`;
    const list = byKey.get(key);
    if (list) list.push(l);
    else byKey.set(key, [l]);
  }
  return [...byKey.values()].map((l) => ({ local: l[0].local, remote: l[0].remote, lines: l }));
}
