// What the robustness scripts share: where results go and how a table is printed.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/link/package-root.js';


/** scripts/results/ (gitignored), created when missing. */
export function resultsDir(): string {
  const dir = join(packageRoot(), 'scripts', 'results');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A Markdown table; the first row is the header. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(3, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => `| ${r.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(rows[0]!), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.slice(1).map(line)].join('\n');
}
