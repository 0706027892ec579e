// `tcplab ss` prints what the real `ss` prints. The fixtures are real runs of iproute2 6.1's ss
// and net-tools' netstat in two private namespaces (test/fixtures/capture-ss.sh): the sockets of
// each `ss -tan -o` run are read back into SocketViews, and every other view of the same sockets
// (`-tan`, `-tn`, `-tln`, `state time-wait`, the netstat/awk counts) must come out byte for byte.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatSs } from '../../../src/inspect/ss-table.js';
import { stateFilter, StateFilterError, netstatState, type SsState } from '../../../src/inspect/ss-state.js';
import { ssTimerTime } from '../../../src/inspect/ss-timer.js';
import { formatStateCounts, stateCounts } from '../../../src/inspect/state-counts.js';
import type { SocketView } from '../../../src/inspect/socket-view.js';
import { printfG } from '../../../src/inspect/printf-g.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/ss');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

/** The inverse of ss's print_ms_timer for the texts in the fixtures: "119min", "59sec", "3.264ms". */
function timerMs(text: string): number {
  const m = /^(?:(\d+)min)?(?:(\d+)(?:sec|\.))?(?:(\d+)ms)?$/.exec(text);
  if (!m) throw new Error(`not an ss timer time: ${text}`);
  return Number(m[1] ?? 0) * 60_000 + Number(m[2] ?? 0) * 1000 + Number(m[3] ?? 0);
}

function endpoint(text: string): { address: string; port: number } {
  const i = text.lastIndexOf(':');
  return { address: text.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: text.slice(i + 1) === '*' ? 0 : Number(text.slice(i + 1)) };
}

/** The sockets of an `ss -tan -o` run, as the stack would hand them to the formatter. */
function viewsFrom(ssTanO: string): SocketView[] {
  return ssTanO
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [state, recvQ, sendQ, local, peer, timer] = line.trim().split(/\s+/);
      const l = endpoint(local);
      const p = endpoint(peer);
      const t = timer ? /^timer:\((\w+),([^,]*),(\d+)\)$/.exec(timer) : null;
      const listener = state === 'LISTEN';
      return {
        state: state as SsState,
        family: l.address.includes(':') ? 6 : 4,
        local: { address: listener && (l.address === '0.0.0.0' || l.address === '::') ? undefined : l.address, port: l.port },
        remote: listener ? undefined : p,
        recvQ: Number(recvQ),
        sendQ: Number(sendQ),
        ...(t ? { timer: { kind: t[1] as 'on', remainingMs: timerMs(t[2]), count: Number(t[3]) } } : {}),
        owner: listener ? 'listener' : 'app',
      } satisfies SocketView;
    });
}

describe("ss -o's timer times (iproute2 print_ms_timer)", () => {
  it.each([
    [0, ''],
    [396, '396ms'],
    [3264, '3.264ms'],
    [1200, '1.200ms'],
    [9500, '9.500ms'],
    [10_500, '10sec'],
    [45_000, '45sec'],
    [59_999, '59sec'],
    [60_000, '1min'],
    [116_400, '1min56sec'],
    [600_000, '10min'],
    [659_000, '10min'],
    [7_170_000, '119min'],
    [-5, ''],
  ])('%d ms → "%s"', (ms, text) => {
    expect(ssTimerTime(ms)).toBe(text);
  });
});

describe('the socket table against the real ss', () => {
  for (const side of ['A', 'B']) {
    const views = viewsFrom(fixture(`${side}.ss-tan-o.txt`));
    it(`${side}: ss -tan -o (timers in ss's units, IPv6 in brackets, 0.0.0.0:* and [::]:* for listeners)`, () => {
      expect(formatSs(views, { states: stateFilter({ all: true }), timers: true })).toBe(fixture(`${side}.ss-tan-o.txt`));
    });
    it(`${side}: ss -tan`, () => {
      expect(formatSs(views, { states: stateFilter({ all: true }) })).toBe(fixture(`${side}.ss-tan.txt`));
    });
    it(`${side}: ss -tn hides LISTEN, TIME-WAIT and SYN-RECV`, () => {
      expect(formatSs(views, { states: stateFilter({}) })).toBe(fixture(`${side}.ss-tn.txt`));
    });
    it(`${side}: ss -tln`, () => {
      expect(formatSs(views, { states: stateFilter({ listening: true }) })).toBe(fixture(`${side}.ss-tln.txt`));
    });
    it(`${side}: ss -tan on a terminal 100 columns wide spreads the columns over the width`, () => {
      expect(formatSs(views, { states: stateFilter({ all: true }), screenWidth: 100 })).toBe(fixture(`${side}.ss-tan-tty100.txt`));
    });
    it(`${side}: ss -tan -o on a terminal 60 columns wide sizes the columns for the terminal to wrap`, () => {
      // (Its timers were read a moment later than those of the other runs.)
      const later = viewsFrom(fixture(`${side}.ss-tan-o-tty60.txt`));
      expect(formatSs(later, { states: stateFilter({ all: true }), timers: true, screenWidth: 60 })).toBe(fixture(`${side}.ss-tan-o-tty60.txt`));
    });
    it(`${side}: ss -tan state time-wait has no State column`, () => {
      expect(formatSs(views, { states: stateFilter({ all: true }, ['state', 'time-wait']) })).toBe(fixture(`${side}.ss-tan-state-time-wait.txt`));
    });
  }

  it('the state counts are what netstat -n | awk counts (LISTEN only with -a)', () => {
    const awk = (netstat: string): Record<string, number> => {
      const s: Record<string, number> = {};
      for (const line of netstat.split('\n')) if (/^tcp/.test(line)) s[line.trim().split(/\s+/).at(-1)!] = (s[line.trim().split(/\s+/).at(-1)!] ?? 0) + 1;
      return s;
    };
    const inNetstatWords = (counts: Partial<Record<SsState, number>>): Record<string, number> =>
      Object.fromEntries(Object.entries(counts).map(([state, n]) => [netstatState(state as SsState), n]));
    for (const side of ['A', 'B']) {
      const views = viewsFrom(fixture(`${side}.ss-tan-o.txt`));
      expect(inNetstatWords(stateCounts(views.filter((v) => v.state !== 'LISTEN')))).toEqual(awk(fixture(`${side}.netstat-n.txt`)));
      expect(inNetstatWords(stateCounts(views))).toEqual(awk(fixture(`${side}.netstat-an.txt`)));
    }
  });

  it('prints the counts in both spellings', () => {
    const views = viewsFrom(fixture('B.ss-tan-o.txt'));
    expect(formatStateCounts(stateCounts(views))).toBe(
      ['State        Count  netstat', 'ESTAB            6  ESTABLISHED', 'TIME-WAIT        1  TIME_WAIT', 'CLOSE-WAIT       2  CLOSE_WAIT', 'LISTEN           5  LISTEN', ''].join('\n'),
    );
  });
});

describe("ss's state filters", () => {
  it('reads state and exclude as ss does, and refuses unknown names with the list', () => {
    const views = viewsFrom(fixture('B.ss-tan-o.txt'));
    const states = (words: string[]): string[] => [...new Set(formatSs(views, { states: stateFilter({}, words) }).split('\n').slice(1, -1).map((l) => l.split(' ')[0]))];
    expect(states(['state', 'established', 'state', 'close-wait'])).toEqual(['ESTAB', 'CLOSE-WAIT']);
    expect(states(['exclude', 'established'])).toEqual(['LISTEN', 'CLOSE-WAIT', 'TIME-WAIT']);
    expect(states(['state', 'bucket'])).toEqual(['TIME-WAIT']);
    expect(() => stateFilter({}, ['state', 'half-open'])).toThrow(StateFilterError);
    expect(() => stateFilter({}, ['state', 'half-open'])).toThrow(/wrong state name: half-open \(one of all, connected/);
    expect(() => stateFilter({}, ['state'])).toThrow(/needs a state name/);
  });
});

describe("ss -i's numbers (printf %g)", () => {
  it.each([
    [204, '204'],
    [0.026, '0.026'],
    [5.269, '5.269'],
    [10.502, '10.502'],
    [0.0001234, '0.0001234'],
    [0.00001234, '1.234e-05'],
    [1234567, '1.23457e+06'],
    [999999.5, '1e+06'],
    [2.5, '2.5'],
  ])('%d → %s', (x, text) => {
    expect(printfG(x)).toBe(text);
  });
});
