// `tcplab nstat`: the stack's counters as iproute2's nstat shows the kernel's (misc/nstat.c):
// what moved since the last read, remembered between reads, or the absolute values with -a;
// zeros hidden unless -z; shell patterns to pick counters; `#kernel`, then one line per counter
// (name padded to 32, value to 16, rate), or {"kernel":{...}} with --json.

export interface NstatOptions {
  /** -a: absolute values, not increments (the history is still updated). */
  readonly absolute?: boolean;
  /** -z: counters that did not move too. */
  readonly zeros?: boolean;
  /** -s: do not update the history. */
  readonly noUpdate?: boolean;
  /** -r: forget the history first. */
  readonly reset?: boolean;
  /** Shell patterns (fnmatch): only matching counters are shown; the others keep their old
   *  history, so their increments wait for a read that shows them. */
  readonly patterns?: readonly string[];
}

/** nstat's "useless numbers": gauges and constants that it never shows. */
const USELESS = new Set(['IpForwarding', 'IpDefaultTTL', 'TcpRtoAlgorithm', 'TcpRtoMin', 'TcpRtoMax', 'TcpMaxConn', 'TcpCurrEstab']);

export type NstatEntries = readonly (readonly [string, number])[];

/** The history nstat keeps in /tmp/.nstat.u$UID, kept in memory by the running tcplab. */
export class NstatHistory {
  private history: Map<string, number> | undefined;

  /**
   * One `nstat` run over `counters` (every counter, in nstat's order): the entries to print,
   * and the history updated as nstat updates its file.
   */
  read(counters: Readonly<Record<string, number>>, options: NstatOptions = {}): NstatEntries {
    if (options.reset) this.history = undefined;
    const match = patternMatcher(options.patterns ?? []);
    const names = Object.keys(counters).filter((name) => !USELESS.has(name));
    const history = this.history;
    const incremental = !options.absolute && history !== undefined;
    const out: [string, number][] = [];
    for (const name of names) {
      const value = counters[name] ?? 0;
      // dump_incr_db: a counter below its history (it went back: "overflow") shows 0.
      const before = incremental ? (history.get(name) ?? 0) : 0;
      const shown = value >= before ? value - before : 0;
      if (!options.zeros && shown === 0) continue;
      if (!match(name)) continue;
      out.push([name, shown]);
    }
    if (!options.noUpdate) {
      const next = new Map<string, number>();
      for (const name of names) next.set(name, !match(name) && history?.has(name) ? history.get(name)! : (counters[name] ?? 0));
      this.history = next;
    }
    return out;
  }
}

/** The text nstat prints: `#kernel`, then `%-32s%-16llu%6.1f` per counter (the rate is 0.0
 *  without nstat's daemon, which tcplab does not have). */
export function formatNstat(entries: NstatEntries): string {
  let out = '#kernel\n';
  for (const [name, value] of entries) {
    // C's %-32s would run a longer name into the value; tcplab's own long drop counter names
    // keep one space.
    out += `${name.padEnd(32)}${name.length >= 32 ? ' ' : ''}${String(value).padEnd(16)}${'0.0'.padStart(6)}\n`;
  }
  return out;
}

/** nstat --json: {"kernel":{"IpInReceives":21,...}}. */
export function formatNstatJson(entries: NstatEntries): string {
  return `${JSON.stringify({ kernel: Object.fromEntries(entries) })}\n`;
}

/** fnmatch(pattern, name, 0) for any of the patterns; everything when there are none. */
export function patternMatcher(patterns: readonly string[]): (name: string) => boolean {
  if (patterns.length === 0) return () => true;
  const regexes = patterns.map(globToRegExp);
  return (name) => regexes.some((r) => r.test(name));
}

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      let set = pattern.slice(i + 1, close);
      if (set.startsWith('!')) set = `^${set.slice(1)}`;
      source += `[${set.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else source += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
