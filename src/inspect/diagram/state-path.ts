// The path one end of a connection took through the state diagram: from the engine's state
// events (every change, with its cause), or from the states `ss -tan` showed for a kernel
// socket (polls that miss what lasts less than one poll, and no causes).
import type { StateChangeEvent } from '../../tcp/events.js';
import type { TcpStateName } from '../../tcp/state.js';
import { figurePath } from './state-figure.js';

/**
 * - 'event': reported by the engine, with its cause and time;
 * - 'observed': the state arrived at was seen by ss at `at`;
 * - 'inferred': a state the socket must have passed through between two it was seen in (or
 *   before the first), too short-lived for ss to catch;
 * - 'vanished': the socket was gone from ss by the end (so it reached CLOSED).
 */
export type StepKind = 'event' | 'observed' | 'inferred' | 'vanished';

export interface PathStep {
  readonly from: TcpStateName;
  readonly to: TcpStateName;
  readonly cause?: string;
  /** Milliseconds on the picture's clock; undefined when not known. */
  readonly at?: number;
  readonly kind: StepKind;
}

export interface StatePath {
  /** Who this end is: "tcplab", "Linux kernel". */
  readonly name: string;
  /** Its address and port, as ss prints them. */
  readonly endpoint: string;
  /** Where the path comes from, for the legend: "engine state events", "ss -tan polls". */
  readonly source: string;
  readonly steps: readonly PathStep[];
}

const STATE_NAMES: ReadonlySet<string> = new Set<TcpStateName>([
  'CLOSED', 'LISTEN', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT',
]);

/** An RFC 9293 state name from ss's spelling (ESTAB, SYN-RECV, UNCONN), or undefined. */
export function stateFromSs(name: string): TcpStateName | undefined {
  const rfc = name === 'ESTAB' ? 'ESTABLISHED' : name === 'SYN-RECV' ? 'SYN-RECEIVED' : name === 'UNCONN' ? 'CLOSED' : name;
  return STATE_NAMES.has(rfc) ? (rfc as TcpStateName) : undefined;
}

/** The engine's state events of one connection, in order, as a path. */
export function pathFromEvents(events: readonly Pick<StateChangeEvent, 'from' | 'to' | 'cause' | 'at'>[]): PathStep[] {
  return events.map((e) => ({ from: e.from, to: e.to, cause: e.cause, at: e.at, kind: 'event' }));
}

export interface SsObservation {
  /** As ss prints it (ESTAB, SYN-RECV...) or as RFC 9293 names it. */
  readonly state: string;
  readonly at: number;
}

export interface ObservedPathOptions {
  /** The socket came out of a listener (a LISTEN socket on its local port was seen): it
   *  started in LISTEN, else in CLOSED. */
  readonly fromListener: boolean;
  /** The socket was still in ss at the last look; otherwise it had gone, to CLOSED. */
  readonly stillThere: boolean;
}

/**
 * A kernel socket's path from the states ss showed it in. Between two states seen one after
 * the other, the states it must have passed through (the shortest way through Figure 5) are
 * added as 'inferred'; a socket gone from ss at the end is taken to CLOSED ('vanished').
 */
export function pathFromObservations(observations: readonly SsObservation[], options: ObservedPathOptions): PathStep[] {
  const steps: PathStep[] = [];
  let here: TcpStateName = options.fromListener ? 'LISTEN' : 'CLOSED';
  for (const o of observations) {
    const next = stateFromSs(o.state);
    if (next === undefined || next === here) continue;
    const way = figurePath(here, next) ?? [here, next];
    for (let i = 1; i < way.length; i++) {
      const last = i === way.length - 1;
      steps.push({ from: way[i - 1], to: way[i], kind: last ? 'observed' : 'inferred', ...(last ? { at: o.at } : {}) });
    }
    here = next;
  }
  if (!options.stillThere && here !== 'CLOSED' && steps.length > 0) steps.push({ from: here, to: 'CLOSED', kind: 'vanished' });
  return steps;
}

/** The states a path passed through, with the time spent in each where both ends are known. */
export function dwellTimes(steps: readonly PathStep[]): Map<TcpStateName, number> {
  const out = new Map<TcpStateName, number>();
  for (let i = 1; i < steps.length; i++) {
    const enter = steps[i - 1].at;
    const leave = steps[i].at;
    if (enter === undefined || leave === undefined) continue;
    const state = steps[i].from;
    out.set(state, (out.get(state) ?? 0) + Math.max(0, leave - enter));
  }
  return out;
}
