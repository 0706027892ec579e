// What a long wait is waiting for, in one line: tcplab's sockets that have a timer running,
// grouped by state, with the time left (a real 60 s TIME-WAIT, an orphaned FIN-WAIT-2, the
// next SYN retransmission), for the tour's status line.
import type { SocketRow } from '../stack/socket-row.js';

export function countdownText(rows: readonly SocketRow[], now: number): string {
  const byState = new Map<string, { count: number; last: number; next: number }>();
  for (const row of rows) {
    if (row.state === 'LISTEN' || !row.timer) continue;
    const left = Math.max(0, row.timer.expiresAt - now);
    const entry = byState.get(row.state) ?? { count: 0, last: 0, next: Infinity };
    entry.count++;
    entry.last = Math.max(entry.last, left);
    entry.next = Math.min(entry.next, left);
    byState.set(row.state, entry);
  }
  const parts: string[] = [];
  for (const [state, e] of byState) {
    const seconds = (ms: number): string => `${Math.ceil(ms / 1000)} s`;
    const many = e.count > 1 ? ` ×${e.count}` : '';
    // TIME-WAIT and FIN-WAIT-2 end when their timer does; the others only retransmit then.
    if (state === 'TIME-WAIT' || state === 'FIN-WAIT-2') parts.push(`${state}${many} ends in ${seconds(e.last)}`);
    else parts.push(`${state}${many}: timer in ${seconds(e.next)}`);
  }
  return parts.join(' · ');
}
