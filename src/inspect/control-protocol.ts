// The control channel's line protocol: a client connects to a running tcplab's unix socket and
// writes one JSON request on one line; the tcplab answers with one JSON line, and for `trace`
// then one trace line per event (until it has sent the recent ones, or, following, until the
// client hangs up). Every answer has "ok"; a refusal says why in "error" with a Node-style
// "code".
import type { NstatEntries, NstatOptions } from './nstat.js';
import type { SocketView } from './socket-view.js';

export type ControlRequest =
  | { readonly op: 'hello' }
  | { readonly op: 'ss' }
  | { readonly op: 'nstat'; readonly options?: NstatOptions }
  | { readonly op: 'trace'; readonly follow?: boolean; readonly limit?: number };

export interface HelloAnswer {
  readonly ok: true;
  readonly name: string;
  readonly pid: number;
  readonly addresses: readonly string[];
  /** The stack's clock (ms). */
  readonly now: number;
}

export interface SsAnswer {
  readonly ok: true;
  readonly now: number;
  readonly sockets: readonly SocketView[];
}

export interface NstatAnswer {
  readonly ok: true;
  readonly counters: NstatEntries;
}

/** The first line of a trace answer; the events follow, one per line. */
export interface TraceAnswer {
  readonly ok: true;
  /** Events recorded since the stack started, and how many of them the ring still holds. */
  readonly total: number;
  readonly held: number;
  readonly now: number;
}

export interface Refusal {
  readonly ok: false;
  readonly error: string;
  readonly code: string;
}

export type ControlAnswer = HelloAnswer | SsAnswer | NstatAnswer | TraceAnswer | Refusal;

/** Longest request line accepted. */
export const MAX_REQUEST_LINE = 64 * 1024;

export function refusal(error: string, code = 'ERR_INVALID_ARG_VALUE'): Refusal {
  return { ok: false, error, code };
}

/** Reads a request line; a Refusal says what is wrong with it. */
export function parseRequest(line: string): ControlRequest | Refusal {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return refusal('a request is one line of JSON, e.g. {"op":"ss"}');
  }
  if (typeof value !== 'object' || value === null) return refusal('a request is a JSON object with "op"');
  const r = value as Record<string, unknown>;
  switch (r.op) {
    case 'hello':
    case 'ss':
      return { op: r.op };
    case 'nstat': {
      const o = r.options;
      if (o === undefined) return { op: 'nstat' };
      if (typeof o !== 'object' || o === null) return refusal('nstat "options" must be an object');
      const opts = o as Record<string, unknown>;
      for (const flag of ['absolute', 'zeros', 'noUpdate', 'reset']) {
        if (opts[flag] !== undefined && typeof opts[flag] !== 'boolean') return refusal(`nstat option "${flag}" must be true or false`);
      }
      const patterns = opts.patterns;
      if (patterns !== undefined && (!Array.isArray(patterns) || patterns.length > 256 || !patterns.every((p) => typeof p === 'string' && p.length <= 256))) {
        return refusal('nstat "patterns" must be a list of at most 256 shell patterns');
      }
      return {
        op: 'nstat',
        options: { absolute: opts.absolute === true, zeros: opts.zeros === true, noUpdate: opts.noUpdate === true, reset: opts.reset === true, patterns: (patterns as string[] | undefined) ?? [] },
      };
    }
    case 'trace': {
      if (r.follow !== undefined && typeof r.follow !== 'boolean') return refusal('trace "follow" must be true or false');
      if (r.limit !== undefined && (typeof r.limit !== 'number' || !Number.isInteger(r.limit) || r.limit < 0)) return refusal('trace "limit" must be a whole number of events');
      return { op: 'trace', follow: r.follow === true, ...(r.limit !== undefined ? { limit: r.limit } : {}) };
    }
    default:
      return refusal(`unknown op ${JSON.stringify(r.op)}: one of hello, ss, nstat, trace`);
  }
}
