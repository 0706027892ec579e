// ss's and netstat's words for TCP states, and ss's state filters (`-a`, `-l`, `state X`,
// `exclude X`), as iproute2's misc/ss.c spells and combines them.
import { ssStateName, type TcpStateName } from '../tcp/state.js';

/** The states in Linux's numbering (include/net/tcp_states.h: TCP_ESTABLISHED = 1 ...
 *  TCP_CLOSING = 11), as ss prints them. UNCONN is TCP_CLOSE, which tcplab never lists. */
export const SS_STATES = ['ESTAB', 'SYN-SENT', 'SYN-RECV', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'UNCONN', 'CLOSE-WAIT', 'LAST-ACK', 'LISTEN', 'CLOSING'] as const;

export type SsState = (typeof SS_STATES)[number];

/** netstat's spellings (net-tools' tcp_state[]), in the same order. */
const NETSTAT_STATES: Record<SsState, string> = {
  ESTAB: 'ESTABLISHED',
  'SYN-SENT': 'SYN_SENT',
  'SYN-RECV': 'SYN_RECV',
  'FIN-WAIT-1': 'FIN_WAIT1',
  'FIN-WAIT-2': 'FIN_WAIT2',
  'TIME-WAIT': 'TIME_WAIT',
  UNCONN: 'CLOSE',
  'CLOSE-WAIT': 'CLOSE_WAIT',
  'LAST-ACK': 'LAST_ACK',
  LISTEN: 'LISTEN',
  CLOSING: 'CLOSING',
};

export function ssState(name: TcpStateName): SsState {
  return ssStateName(name) as SsState;
}

export function netstatState(state: SsState): string {
  return NETSTAT_STATES[state];
}

/** A set of states as ss keeps it: bit (1 << Linux state number). */
export type StateMask = number;

export function stateBit(state: SsState): StateMask {
  return 1 << (SS_STATES.indexOf(state) + 1);
}

const bits = (...states: SsState[]): StateMask => states.reduce((m, s) => m | stateBit(s), 0);

/** SS_ALL. */
export const ALL_STATES: StateMask = bits(...SS_STATES);
/** SS_CONN, what `ss -t` lists without -a: neither LISTEN, nor UNCONN, nor TIME-WAIT, nor
 *  SYN-RECV (the "bucket" of short-lived mini sockets). */
export const CONNECTED_DEFAULT: StateMask = ALL_STATES & ~bits('LISTEN', 'UNCONN', 'TIME-WAIT', 'SYN-RECV');
/** `-l`: listening sockets (and unconnected ones, which TCP has none of). */
export const LISTENING: StateMask = bits('LISTEN', 'UNCONN');

/** ss's state filter names (scan_state): lowercase states, aliases, and the groups. */
const FILTER_WORDS: Record<string, StateMask> = {
  all: ALL_STATES,
  connected: ALL_STATES & ~bits('UNCONN', 'LISTEN'),
  synchronized: ALL_STATES & ~bits('UNCONN', 'LISTEN', 'SYN-SENT'),
  bucket: bits('SYN-RECV', 'TIME-WAIT'),
  big: ALL_STATES & ~bits('SYN-RECV', 'TIME-WAIT'),
  established: bits('ESTAB'),
  'syn-sent': bits('SYN-SENT'),
  'syn-recv': bits('SYN-RECV'),
  'syn-rcv': bits('SYN-RECV'),
  'fin-wait-1': bits('FIN-WAIT-1'),
  'fin-wait-2': bits('FIN-WAIT-2'),
  'time-wait': bits('TIME-WAIT'),
  close: bits('UNCONN'),
  closed: bits('UNCONN'),
  'close-wait': bits('CLOSE-WAIT'),
  'last-ack': bits('LAST-ACK'),
  listening: bits('LISTEN'),
  listen: bits('LISTEN'),
  closing: bits('CLOSING'),
};

export const STATE_FILTER_WORDS: readonly string[] = Object.keys(FILTER_WORDS);

export class StateFilterError extends Error {
  readonly code = 'ERR_INVALID_ARG_VALUE';
}

/**
 * Which states to list, as ss decides: `-a` all, `-l` listening, otherwise the connected
 * default; then `state X` (the first one replaces, later ones add) and `exclude X` (the first
 * one starts from all) override both. `words` is what follows the options, e.g.
 * ['state', 'time-wait'] or ['exclude', 'listening'].
 */
export function stateFilter(options: { all?: boolean; listening?: boolean }, words: readonly string[] = []): StateMask {
  let mask = options.all ? ALL_STATES : options.listening ? LISTENING : CONNECTED_DEFAULT;
  let saw = false;
  for (let i = 0; i < words.length; i += 2) {
    const keyword = words[i];
    const name = words[i + 1];
    if (keyword !== 'state' && keyword !== 'exclude' && keyword !== 'excl') {
      throw new StateFilterError(`unexpected "${keyword}": a filter is "state NAME" or "exclude NAME"`);
    }
    if (name === undefined) throw new StateFilterError(`"${keyword}" needs a state name: ${STATE_FILTER_WORDS.join(', ')}`);
    const bitsFor = FILTER_WORDS[name.toLowerCase()];
    if (bitsFor === undefined) throw new StateFilterError(`wrong state name: ${name} (one of ${STATE_FILTER_WORDS.join(', ')})`);
    if (keyword === 'state') mask = (saw ? mask : 0) | bitsFor;
    else mask = (saw ? mask : ALL_STATES) & ~bitsFor;
    saw = true;
  }
  return mask;
}

export function inStateMask(state: SsState, mask: StateMask): boolean {
  return (mask & stateBit(state)) !== 0;
}

/** ss hides the State column when the filter leaves exactly one state. */
export function singleState(mask: StateMask): boolean {
  return mask !== 0 && (mask & (mask - 1)) === 0;
}
