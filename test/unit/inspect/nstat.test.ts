// `tcplab nstat` reads like iproute2's nstat: the fixtures are one real sequence of nstat runs
// in a private namespace (test/fixtures/capture-ss.sh): the first run (no history: absolute
// values), a connection, a second run (the increments), a third (nothing moved), then -a,
// --json and -az with patterns. The same counter values fed to NstatHistory must print the
// same bytes. Then the stack's own counters, read twice around the backlog experiment.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatNstat, formatNstatJson, NstatHistory } from '../../../src/inspect/nstat.js';
import { twoHosts } from '../stack/two-hosts.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/ss');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

/** The counters a run of nstat printed, in its order. */
function values(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [name, value] = line.split(/\s+/);
    out[name] = Number(value);
  }
  return out;
}

describe('nstat against the real one', () => {
  it('first run absolute, then the increments since the last run, then nothing', () => {
    const history = new NstatHistory();
    const first = values(fixture('nstat-first.txt'));
    expect(formatNstat(history.read(first))).toBe(fixture('nstat-first.txt'));
    // The kernel's counters at the second run: the first ones plus what that run printed.
    const delta = values(fixture('nstat-delta.txt'));
    const second = { ...first };
    for (const [name, d] of Object.entries(delta)) second[name] = (second[name] ?? 0) + d;
    expect(formatNstat(history.read(second))).toBe(fixture('nstat-delta.txt'));
    expect(formatNstat(history.read(second))).toBe(fixture('nstat-delta-empty.txt'));
  });

  it('-a prints absolute values whatever the history; --json as nstat -j', () => {
    const history = new NstatHistory();
    history.read(values(fixture('nstat-first.txt')));
    expect(formatNstat(history.read(values(fixture('nstat-a.txt')), { absolute: true }))).toBe(fixture('nstat-a.txt'));
    const json = JSON.parse(fixture('nstat-json.txt')) as { kernel: Record<string, number> };
    expect(formatNstatJson(history.read(json.kernel, { absolute: true }))).toBe(fixture('nstat-json.txt'));
  });

  it('-z shows zeros, patterns pick counters (fnmatch)', () => {
    const json = (JSON.parse(fixture('nstat-json.txt')) as { kernel: Record<string, number> }).kernel;
    const all = { ...json, TcpExtListenOverflows: 0, TcpExtListenDrops: 0 };
    expect(formatNstat(new NstatHistory().read(all, { absolute: true, zeros: true, patterns: ['TcpExtListen*', 'TcpActiveOpens'] }))).toBe(fixture('nstat-z-pattern.txt'));
  });

  it('a counter left out by the patterns keeps its increment for a later read; -s does not remember; -r forgets', () => {
    const h = new NstatHistory();
    h.read({ A: 1, B: 1 });
    expect(h.read({ A: 2, B: 5 }, { patterns: ['A'] })).toEqual([['A', 1]]);
    expect(h.read({ A: 2, B: 5 })).toEqual([['B', 4]]);
    expect(h.read({ A: 9, B: 5 }, { noUpdate: true })).toEqual([['A', 7]]);
    expect(h.read({ A: 9, B: 5 })).toEqual([['A', 7]]);
    expect(h.read({ A: 9, B: 5 }, { reset: true })).toEqual([['A', 9], ['B', 5]]);
    // TcpCurrEstab is a gauge: nstat never shows it.
    expect(h.read({ TcpCurrEstab: 3, A: 10 }, { absolute: true })).toEqual([['A', 10]]);
  });
});

describe("the stack's counters through nstat", () => {
  it('seed 001: backlog 1, never accepting, a third client: ListenOverflows and ListenDrops grow', () => {
    const h = twoHosts();
    h.b.listen({ port: 50000, backlog: 1 });
    const history = new NstatHistory();
    history.read(h.b.counters.snapshot());
    // The seed's client: one connection after another.
    for (let i = 0; i < 3; i++) {
      h.a.connect({ host: '10.0.0.2', port: 50000 }, h.now);
      h.run(h.now + 10);
    }
    // The third SYN (at 20 ms) and its retransmissions 1, 2 and 3 s later find the queue full.
    h.run(3500);
    const moved = Object.fromEntries(history.read(h.b.counters.snapshot()));
    expect(moved).toMatchObject({ TcpPassiveOpens: 2, TcpExtListenOverflows: 4, TcpExtListenDrops: 4 });
    expect(moved).not.toHaveProperty('TcpExtTCPReqQFullDrop');
    expect(formatNstat(history.read(h.b.counters.snapshot()))).toBe('#kernel\n');
    expect(Object.fromEntries(new NstatHistory().read(h.a.counters.snapshot(), { patterns: ['TcpExtTCPSynRetrans', 'TcpActiveOpens'] }))).toEqual({ TcpActiveOpens: 3, TcpExtTCPSynRetrans: 3 });
  });
});
