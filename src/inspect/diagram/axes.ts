// Axes for the plots: a frame, light grid lines at round values, tick labels in the axis's
// unit, and the axis titles.
import type { LinearScale } from './scale.js';
import { COLOURS, el, text, textWidth } from './svg.js';

export interface PlotArea {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface AxesOptions {
  readonly area: PlotArea;
  readonly x: LinearScale;
  readonly y: LinearScale;
  readonly xTicks: readonly number[];
  readonly yTicks: readonly number[];
  readonly xFormat: (v: number) => string;
  readonly yFormat: (v: number) => string;
  /** Under the x axis; omitted for a plot stacked above another. */
  readonly xTitle?: string;
  /** Beside the y axis, rotated. */
  readonly yTitle?: string;
  /** Tick labels under the x axis (default true). */
  readonly xLabels?: boolean;
}

/** The grid, ticks and labels of one plot (drawn under its data). */
export function axes(o: AxesOptions): string {
  const { area } = o;
  const right = area.x + area.width;
  const bottom = area.y + area.height;
  const parts: string[] = [];
  for (const v of o.yTicks) {
    const y = o.y(v);
    parts.push(el('line', { x1: area.x, y1: y, x2: right, y2: y, stroke: COLOURS.grid, 'stroke-width': 1, class: 'grid' }));
    parts.push(text(area.x - 8, y + 4, o.yFormat(v), { class: 'tick', 'text-anchor': 'end' }));
  }
  for (const v of o.xTicks) {
    const x = o.x(v);
    parts.push(el('line', { x1: x, y1: area.y, x2: x, y2: bottom, stroke: COLOURS.grid, 'stroke-width': 1, class: 'grid' }));
    if (o.xLabels !== false) parts.push(text(x, bottom + 17, o.xFormat(v), { class: 'tick', 'text-anchor': 'middle' }));
  }
  parts.push(el('rect', { x: area.x, y: area.y, width: area.width, height: area.height, fill: 'none', stroke: COLOURS.rule, 'stroke-width': 1 }));
  if (o.xTitle) parts.push(text(area.x + area.width / 2, bottom + 40, o.xTitle, { class: 'axis-title', 'text-anchor': 'middle' }));
  if (o.yTitle) {
    const cx = area.x - 64;
    const cy = area.y + area.height / 2;
    parts.push(text(cx, cy, o.yTitle, { class: 'axis-title', 'text-anchor': 'middle', transform: `rotate(-90 ${cx} ${cy})` }));
  }
  return el('g', { class: 'axes' }, ...parts);
}

/** CSS for the classes axes() uses. */
export const AXES_STYLE = `.tick{font-size:11px;fill:${COLOURS.muted};font-variant-numeric:tabular-nums;}.axis-title{font-size:12px;font-weight:600;fill:${COLOURS.text};}.legend{font-size:12px;fill:${COLOURS.text};}`;

/** A clip path for a plot area, so data never spills over the axes. */
export function clipPath(id: string, area: PlotArea): string {
  return el('clipPath', { id }, el('rect', { x: area.x, y: area.y, width: area.width, height: area.height }));
}

/** A row of legend entries (a swatch and words), laid left to right from (x, y). */
export function legendRow(x: number, y: number, entries: readonly { readonly swatch: string; readonly label: string }[]): string {
  const parts: string[] = [];
  let cx = x;
  for (const e of entries) {
    parts.push(el('g', { transform: `translate(${cx} ${y})` }, e.swatch), text(cx + 26, y + 4, e.label, { class: 'legend' }));
    cx += 26 + textWidth(e.label, 12) + 24;
  }
  return el('g', { class: 'legend-row' }, ...parts);
}
