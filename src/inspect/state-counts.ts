// Sockets per state: the answer to `netstat -n | awk '/^tcp/ {++S[$NF]} END {for(a in S) print
// a, S[a]}'` (seeds 002 and 004), in ss's spellings and netstat's.
import { netstatState, SS_STATES, type SsState } from './ss-state.js';
import type { SocketView } from './socket-view.js';

/** How many sockets are in each state, states in Linux's order, only those with any. */
export function stateCounts(views: readonly SocketView[]): Partial<Record<SsState, number>> {
  const counts: Partial<Record<SsState, number>> = {};
  for (const state of SS_STATES) {
    const n = views.filter((v) => v.state === state).length;
    if (n > 0) counts[state] = n;
  }
  return counts;
}

/**
 *   State        Count  netstat
 *   ESTAB            3  ESTABLISHED
 *   TIME-WAIT      120  TIME_WAIT
 */
export function formatStateCounts(counts: Partial<Record<SsState, number>>): string {
  const rows = Object.entries(counts) as [SsState, number][];
  const countWidth = Math.max(5, ...rows.map(([, n]) => String(n).length));
  const line = (state: string, count: string, netstat: string): string => `${state.padEnd(12)} ${count.padStart(countWidth)}  ${netstat}`.trimEnd();
  return [line('State', 'Count', 'netstat'), ...rows.map(([state, n]) => line(state, String(n), netstatState(state)))].join('\n') + '\n';
}
