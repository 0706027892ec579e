// The end-to-end results as people read them: a text table (absolute figures, then tcplab as a
// ratio of the ceilings measured in the same run, against the targets of issue 7) and an SVG bar
// chart of the same ratios, written by hand.
import { formatFigure, type MeasureResult, type SystemName } from './e2e.js';

const LABEL: Record<MeasureResult['measure'], string> = {
  'bulk-in': 'bulk kernel → server',
  'bulk-out': 'bulk server → kernel',
  crr: 'connection rate',
  rr: 'request/response p50/p99',
};

/** The issue's targets, as tcplab / relay (for rr: relay p50 / tcplab p50, so higher is better too). */
export function targetFor(r: MeasureResult): number | undefined {
  if (r.measure === 'bulk-in' || r.measure === 'bulk-out') {
    if (r.mtu === 1500) return r.offload ? 0.5 : 0.6;
    return undefined;
  }
  if (r.measure === 'crr') return 0.8;
  return 1 / 1.5;
}

/** tcplab's figure as a fraction of `of`'s, oriented so that 1 means "as good" and more is better. */
export function ratio(r: MeasureResult, of: SystemName): number | undefined {
  const ours = r.systems.tcplab?.median;
  const theirs = r.systems[of]?.median;
  if (ours === undefined || theirs === undefined || !(ours > 0) || !(theirs > 0)) return undefined;
  return r.higherIsBetter ? ours / theirs : theirs / ours;
}

/** Ratios of runs made next to each other (run i of tcplab with run i of the relay), their median. */
export function pairwise(r: MeasureResult, of: SystemName): number[] {
  const ours = r.systems.tcplab?.runs ?? [];
  const theirs = r.systems[of]?.runs ?? [];
  const out: number[] = [];
  for (let i = 0; i < Math.min(ours.length, theirs.length); i++) {
    const a = ours[i]?.value as number;
    const b = theirs[i]?.value as number;
    if (a > 0 && b > 0) out.push(r.higherIsBetter ? a / b : b / a);
  }
  return out;
}

const pct = (x: number | undefined): string => (x === undefined ? '-' : `${(x * 100).toFixed(0)}%`);

function figure(r: MeasureResult, s: SystemName): string {
  const m = r.systems[s];
  return m === undefined ? '-' : formatFigure(r.unit, m.median, m.medianP99);
}

export function configLabel(r: Pick<MeasureResult, 'mtu' | 'offload'>): string {
  return `MTU ${r.mtu}${r.offload ? ' + offloads' : ''}`;
}

export function textTable(results: readonly MeasureResult[]): string {
  const rows: string[][] = [['measure', 'config', 'kernel (veth)', 'C relay (TUN)', 'tcplab', 'tcplab / relay', 'target', 'tcplab / kernel']];
  for (const r of results) {
    const target = targetFor(r);
    const vsRelay = ratio(r, 'relay');
    const met = target === undefined || vsRelay === undefined ? '' : vsRelay >= target ? ' ok' : ' MISSED';
    rows.push([
      LABEL[r.measure],
      configLabel(r),
      figure(r, 'kernel'),
      figure(r, 'relay'),
      figure(r, 'tcplab'),
      vsRelay === undefined ? '-' : `${pct(vsRelay)}${r.measure === 'rr' ? ` (${(1 / vsRelay).toFixed(2)}×)` : ''}`,
      target === undefined ? '-' : `${r.measure === 'rr' ? `≤ ${(1 / target).toFixed(1)}×` : `≥ ${pct(target)}`}${met}`,
      pct(ratio(r, 'kernel')),
    ]);
  }
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((row) => [...(row[i] ?? '')].length)));
  return rows.map((row) => row.map((cell, i) => cell + ' '.repeat((widths[i] as number) - [...cell].length)).join('  ').trimEnd()).join('\n');
}

/** The same table in Markdown, for the README. */
export function markdownTable(results: readonly MeasureResult[]): string {
  const lines = ['| measure | config | kernel (veth) | C relay (TUN) | tcplab | tcplab / relay | target |', '|---|---|---|---|---|---|---|'];
  for (const r of results) {
    const target = targetFor(r);
    const vsRelay = ratio(r, 'relay');
    lines.push(
      `| ${LABEL[r.measure]} | ${configLabel(r)} | ${figure(r, 'kernel')} | ${figure(r, 'relay')} | ${figure(r, 'tcplab')} | ${pct(vsRelay)} | ${
        target === undefined ? '-' : r.measure === 'rr' ? `≤ ${(1 / target).toFixed(1)}× (p50)` : `≥ ${pct(target)}`
      } |`,
    );
  }
  return lines.join('\n');
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A horizontal bar per (measure, configuration): tcplab as a percentage of the C relay (100% is
 * the ceiling), a tick at the target, the absolute figures as a label.
 */
export function svgChart(results: readonly MeasureResult[], subtitle: string): string {
  const rows = results.filter((r) => ratio(r, 'relay') !== undefined);
  const left = 250;
  const barMax = 420;
  const rowH = 34;
  const top = 64;
  const height = top + rows.length * rowH + 40;
  const scaleMax = Math.max(1.2, ...rows.map((r) => ratio(r, 'relay') as number)) * 1.05;
  const x = (v: number): number => left + (v / scaleMax) * barMax;
  const labelOf = (r: MeasureResult): string => `${pct(ratio(r, 'relay') as number)}  (tcplab ${figure(r, 'tcplab')}, relay ${figure(r, 'relay')}, kernel ${figure(r, 'kernel')})`;
  // Wide enough for the longest label after its bar (about 6 px per character at 11 px).
  const width = Math.ceil(Math.max(left + barMax + 250, ...rows.map((r) => x(ratio(r, 'relay') as number) + 6 + labelOf(r).length * 6.2 + 12)));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="12" y="22" font-size="16" font-weight="bold">tcplab as a share of the C TUN relay (same run, medians)</text>`,
    `<text x="12" y="42" fill="#555">${esc(subtitle)}</text>`,
  ];
  for (const tick of [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2].filter((t) => t <= scaleMax)) {
    parts.push(`<line x1="${x(tick)}" y1="${top - 6}" x2="${x(tick)}" y2="${top + rows.length * rowH}" stroke="${tick === 1 ? '#333' : '#ddd'}"/>`);
    parts.push(`<text x="${x(tick)}" y="${top + rows.length * rowH + 16}" text-anchor="middle" fill="#555">${tick * 100}%</text>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const v = ratio(r, 'relay') as number;
    const target = targetFor(r);
    const ok = target === undefined || v >= target;
    parts.push(`<text x="${left - 8}" y="${y + 14}" text-anchor="end">${esc(LABEL[r.measure])}</text>`);
    parts.push(`<text x="${left - 8}" y="${y + 27}" text-anchor="end" fill="#777" font-size="11">${esc(configLabel(r))}</text>`);
    parts.push(`<rect x="${left}" y="${y + 4}" width="${Math.max(1, x(v) - left)}" height="${rowH - 12}" fill="${ok ? '#3a7bd5' : '#e07b39'}"/>`);
    if (target !== undefined) {
      parts.push(`<line x1="${x(target)}" y1="${y + 1}" x2="${x(target)}" y2="${y + rowH - 5}" stroke="#c00" stroke-width="2"/>`);
    }
    parts.push(`<text x="${x(v) + 6}" y="${y + 19}" fill="#222" font-size="11">${esc(labelOf(r))}</text>`);
  });
  parts.push(`<text x="12" y="${height - 8}" fill="#777" font-size="11">red tick: target of issue 7; rr compares p50 (relay / tcplab)</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
