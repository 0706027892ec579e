// The RFC 9293 state diagram (§3.3.2, Figure 5) with the path each end of a connection took
// drawn over it: tcplab's in one colour, its peer's in another, numbered steps with their causes
// on the edges, the time spent in each state inside its box, and a side panel with the legend
// and every step with its time.
import type { TcpStateName } from '../../tcp/state.js';
import { formatDuration, formatOffset } from './scale.js';
import {
  BOX_HALF_HEIGHT,
  BOX_HALF_WIDTH,
  FIGURE_EDGES,
  FIGURE_HEIGHT,
  FIGURE_WIDTH,
  STATE_BOXES,
  offsetPolyline,
  pointAlong,
  roundedPath,
  routeOf,
  type BoxId,
  type EdgeRoute,
  type FigureEdge,
  type Point,
} from './state-figure.js';
import { dwellTimes, type PathStep, type StatePath } from './state-path.js';
import { COLOURS, MONO, arrowMarker, el, richText, svgDocument, text, textWidth, tooltip, wrapText } from './svg.js';

export interface StateDiagramInput {
  /** The picture's title: a scenario's name, or the connection. */
  readonly title: string;
  /** A sentence under the title (what happened). */
  readonly subtitle?: string;
  /** One or two ends: the first is drawn in tcplab's colour, the second in the peer's. */
  readonly paths: readonly StatePath[];
  /** What the times are measured from, for the panel's footnote. */
  readonly clockNote?: string;
}

const PANEL_WIDTH = 420;
const PATH_COLOURS = [COLOURS.tcplab, COLOURS.peer] as const;
const PATH_TINTS = [COLOURS.tcplabTint, COLOURS.peerTint] as const;
const PATH_CLASSES = ['end-a', 'end-b'] as const;

interface PlacedStep {
  readonly path: number;
  readonly index: number;
  readonly step: PathStep;
  readonly route: EdgeRoute;
}

/** Draws the diagram. Pure: the same input gives the same SVG. */
export function stateDiagramSvg(input: StateDiagramInput): string {
  const paths = input.paths.slice(0, 2);
  const placed: PlacedStep[] = paths.flatMap((path, p) => path.steps.map((step, index) => ({ path: p, index, step, route: routeOf(step.from, step.to, step.cause) })));
  const t0 = Math.min(...placed.map((s) => s.step.at ?? Infinity));
  const origin = Number.isFinite(t0) ? t0 : 0;

  const panel = sidePanel(input, paths, origin, new Set(placed.map(dashOf)));
  const height = Math.max(FIGURE_HEIGHT, panel.height);
  const width = FIGURE_WIDTH + PANEL_WIDTH;

  const takenFigureEdges = new Set(placed.filter((s) => s.route.figure).map((s) => s.route.figure!));
  const shownEdges = FIGURE_EDGES.filter((e) => !e.note || takenFigureEdges.has(e));
  const occupied = occupiedByFigure(shownEdges);
  // Routes outside the figure say so where there is room (the legend says it anyway).
  const labelledOutside = outsideRoutes(placed).filter((route) => {
    const rect = textRect(route.labelAt.x, route.labelAt.y, OUTSIDE_LABEL, 11.5, route.labelAt.anchor);
    if (occupied.some((r) => overlaps(r, rect))) return false;
    occupied.push(rect);
    return true;
  });
  const body = [
    text(32, 44, 'RFC 9293 §3.3.2, Figure 5: TCP connection state diagram', { class: 'caption' }),
    el('g', { class: 'figure' }, ...shownEdges.map((e) => figureEdge(e, takenFigureEdges.has(e)))),
    el('g', { class: 'taken' }, ...takenEdges(placed, labelledOutside)),
    el('g', { class: 'states' }, ...STATE_BOXES.map((b) => stateBoxSvg(b.id, b.state, b.x, b.y, paths, placed))),
    el('g', { class: 'steps' }, ...stepBadges(placed, occupied)),
    el('g', { class: 'panel', transform: `translate(${FIGURE_WIDTH} 0)` }, panel.svg),
  ].join('');

  const who = paths.map((p) => `${p.name} ${p.endpoint}`).join(' and ');
  return svgDocument({
    width,
    height,
    title: `${input.title}: the path ${who} took through the RFC 9293 TCP state diagram`,
    description: paths.map((p) => `${p.name}: ${p.steps.map((s) => `${s.from} → ${s.to}${s.cause ? ` (${s.cause})` : ''}`).join(', ')}`).join('. '),
    style: [
      `.caption{font-size:12px;font-weight:600;letter-spacing:.04em;fill:${COLOURS.faint};}`,
      `.edge-label{font-size:11.5px;fill:${COLOURS.muted};}`,
      `.edge-label.taken{fill:${COLOURS.ink};font-weight:600;}`,
      `.state-name{font-size:13.5px;font-weight:650;letter-spacing:.02em;fill:${COLOURS.ink};}`,
      `.state-name.idle{fill:${COLOURS.muted};font-weight:550;}`,
      '.dwell{font-size:11px;font-weight:600;}',
      '.halo{paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round;}',
      '.badge-num{font-size:11px;font-weight:700;fill:#fff;}',
      '.cause{font-size:11.5px;font-weight:650;}',
      `.panel-title{font-size:22px;font-weight:700;fill:${COLOURS.ink};}`,
      `.panel-sub{font-size:12.5px;fill:${COLOURS.text};}`,
      `.panel-h{font-size:11px;font-weight:700;letter-spacing:.08em;fill:${COLOURS.muted};}`,
      `.panel-text{font-size:12px;fill:${COLOURS.text};}`,
      `.panel-muted{font-size:11.5px;fill:${COLOURS.muted};}`,
      `.mono{font-family:${MONO};font-size:11.5px;}`,
    ].join(''),
    defs: [arrowMarker('arrow-figure', COLOURS.faint, 8), arrowMarker('arrow-a', COLOURS.tcplab, 11), arrowMarker('arrow-b', COLOURS.peer, 11)].join(''),
    body,
  });
}

function figureEdge(e: FigureEdge, taken: boolean): string {
  const lines = e.label.lines.map((line, i) =>
    text(e.label.x, labelLineY(e, i), line, { class: `edge-label halo${taken ? ' taken' : ''}`, 'text-anchor': e.label.anchor }),
  );
  return el(
    'g',
    { class: 'figure-edge', 'data-from': e.from, 'data-to': e.to },
    tooltip(`${e.from} → ${e.to}: ${e.event} / ${e.action}${e.note ? ` (${e.note})` : ''}`),
    el('path', { d: roundedPath(e.points), fill: 'none', stroke: COLOURS.faint, 'stroke-width': 1.3, 'marker-end': 'url(#arrow-figure)', 'stroke-dasharray': e.note ? '5 4' : undefined }),
    ...lines,
  );
}

/** How a step's line looks: solid for the figure's transitions, dashed for one Linux takes
 *  outside the figure, dotted where ss did not see the way (a state passed too quickly, or a
 *  socket gone from a state the figure does not lead straight to CLOSED from). */
function dashOf(s: PlacedStep): string | undefined {
  if (s.step.kind === 'inferred' || (s.step.kind === 'vanished' && !s.route.figure)) return '1.5 5';
  return s.route.figure ? undefined : '7 5';
}

/** Each route used by both ends is drawn twice, side by side. */
function sideOffsets(placed: readonly PlacedStep[]): Map<PlacedStep, number> {
  const byKey = new Map<string, Set<number>>();
  for (const s of placed) byKey.set(s.route.key, (byKey.get(s.route.key) ?? new Set()).add(s.path));
  return new Map(placed.map((s) => [s, (byKey.get(s.route.key)!.size > 1 ? (s.path === 0 ? -1 : 1) : 0) * 3.2]));
}

function takenEdges(placed: readonly PlacedStep[], labelledOutside: readonly EdgeRoute[]): string[] {
  const offsets = sideOffsets(placed);
  const out: string[] = [];
  for (const s of placed) {
    const points = offsetPolyline(s.route.points, offsets.get(s)!);
    const colour = PATH_COLOURS[s.path];
    out.push(
      el(
        'g',
        { class: `taken-edge ${PATH_CLASSES[s.path]}${s.route.figure ? '' : ' linux'} ${s.step.kind}`, 'data-from': s.step.from, 'data-to': s.step.to, 'data-cause': s.step.cause },
        tooltip(`${s.step.from} → ${s.step.to}${s.step.cause ? ` (${s.step.cause})` : ''}`),
        el('path', {
          d: roundedPath(points),
          fill: 'none',
          stroke: colour,
          'stroke-width': 2.6,
          'stroke-linecap': 'round',
          'stroke-linejoin': 'round',
          'stroke-dasharray': dashOf(s),
          'stroke-opacity': s.step.kind === 'inferred' ? 0.85 : 0.95,
          'marker-end': `url(#arrow-${s.path === 0 ? 'a' : 'b'})`,
        }),
      ),
    );
  }
  // Transitions outside the figure say so where they run, once per route.
  for (const route of labelledOutside) {
    out.push(text(route.labelAt.x, route.labelAt.y, OUTSIDE_LABEL, { class: 'edge-label halo', 'text-anchor': route.labelAt.anchor, 'font-style': 'italic' }));
  }
  return out;
}

const OUTSIDE_LABEL = 'not in Figure 5';

function outsideRoutes(placed: readonly PlacedStep[]): EdgeRoute[] {
  const byKey = new Map<string, EdgeRoute>();
  for (const s of placed) if (!s.route.figure && s.step.kind !== 'vanished') byKey.set(s.route.key, s.route);
  return [...byKey.values()];
}

function stateBoxSvg(id: BoxId, state: TcpStateName, x: number, y: number, paths: readonly StatePath[], placed: readonly PlacedStep[]): string {
  // A box is visited by a path when a step of it leaves from or arrives at this box.
  const visits = paths.map((_, p) => placed.filter((s) => s.path === p && (s.route.from === id || s.route.to === id)));
  const visited = visits.map((v) => v.length > 0);
  const seen = visits.map((v) => v.some((s) => s.route.to !== id || s.step.kind !== 'inferred'));
  const w = BOX_HALF_WIDTH * 2;
  const h = BOX_HALF_HEIGHT * 2;
  const parts: string[] = [];
  const fill = visited[0] ? PATH_TINTS[0] : visited[1] ? PATH_TINTS[1] : COLOURS.paper;
  // The peer's ring sits outside tcplab's, so a state both reached shows both.
  if (visited[1]) {
    parts.push(el('rect', { x: x - w / 2 - 4.5, y: y - h / 2 - 4.5, width: w + 9, height: h + 9, rx: 14, fill: COLOURS.paper, stroke: COLOURS.peer, 'stroke-width': 2.4, 'stroke-dasharray': seen[1] ? undefined : '1.5 4', class: 'ring end-b' }));
  }
  parts.push(
    el('rect', {
      x: x - w / 2,
      y: y - h / 2,
      width: w,
      height: h,
      rx: 10,
      fill,
      stroke: visited[0] ? COLOURS.tcplab : visited[1] ? COLOURS.paper : COLOURS.rule,
      'stroke-width': visited[0] ? 2.4 : 1.3,
      'stroke-dasharray': visited[0] && !seen[0] ? '1.5 4' : undefined,
      class: `box${visited[0] ? ' end-a' : ''}`,
    }),
  );
  const dwell = paths.map((path) => dwellTimes(path.steps).get(state));
  const dwellRuns: { text: string; attrs?: Record<string, string> }[] = [];
  for (const p of [0, 1]) {
    const boxSteps = visits[p] ?? [];
    // Only the box the path was in while it dwelt: a path leaves this box, or it is its last.
    const d = boxSteps.some((s) => s.route.from === id) ? dwell[p] : undefined;
    if (d === undefined) continue;
    if (dwellRuns.length > 0) dwellRuns.push({ text: '  ·  ', attrs: { fill: COLOURS.faint } });
    dwellRuns.push({ text: formatDuration(d), attrs: { fill: PATH_COLOURS[p] } });
  }
  const anyVisit = visited.some(Boolean);
  parts.push(text(x, dwellRuns.length > 0 ? y - 1 : y + 5, state, { class: `state-name${anyVisit ? '' : ' idle'}`, 'text-anchor': 'middle' }));
  if (dwellRuns.length > 0) parts.push(richText(x, y + 15, dwellRuns, { class: 'dwell', 'text-anchor': 'middle' }));
  const title = [state, ...paths.map((path, p) => (visited[p] ? `${path.name}: ${seen[p] ? 'here' : 'passed through (too brief for ss)'}${dwell[p] !== undefined ? ` for ${formatDuration(dwell[p]!)}` : ''}` : ''))].filter(Boolean).join('\n');
  return el('g', { class: `state${visited[0] ? ' visited-a' : ''}${visited[1] ? ' visited-b' : ''}`, 'data-state': state, 'data-box': id }, tooltip(title), ...parts);
}

interface Rect {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

function overlaps(a: Rect, b: Rect): boolean {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

/** The box a text takes, estimated, with a little air around it. */
function textRect(x: number, y: number, s: string, size: number, anchor: 'start' | 'middle' | 'end'): Rect {
  const w = textWidth(s, size);
  const x0 = anchor === 'start' ? x : anchor === 'end' ? x - w : x - w / 2;
  return { x0: x0 - 3, y0: y - size * 0.8 - 1, x1: x0 + w + 3, y1: y + size * 0.22 + 1 };
}

/** What the figure already occupies: its boxes and the labels drawn. */
function occupiedByFigure(figureEdges: readonly FigureEdge[]): Rect[] {
  const rects: Rect[] = STATE_BOXES.map((b) => ({ x0: b.x - BOX_HALF_WIDTH - 6, y0: b.y - BOX_HALF_HEIGHT - 6, x1: b.x + BOX_HALF_WIDTH + 6, y1: b.y + BOX_HALF_HEIGHT + 6 }));
  for (const e of figureEdges) {
    e.label.lines.forEach((line, i) => rects.push(textRect(e.label.x, labelLineY(e, i), line, 11.5, e.label.anchor)));
  }
  // The edges of the drawing: nothing may spill into the side panel.
  rects.push({ x0: FIGURE_WIDTH - 8, y0: -1e4, x1: 1e6, y1: 1e6 }, { x0: -1e6, y0: -1e4, x1: 8, y1: 1e6 });
  return rects;
}

function labelLineY(e: FigureEdge, i: number): number {
  return e.label.y + i * 14 - ((e.label.lines.length - 1) * 14) / 2;
}

/** Numbered badges on the taken edges, each where it overlaps nothing if it can, and each
 *  step's cause beside its badge, on whichever side is free. */
function stepBadges(placed: readonly PlacedStep[], occupied: Rect[]): string[] {
  const offsets = sideOffsets(placed);
  const users = new Map<string, PlacedStep[]>();
  for (const s of placed) users.set(s.route.key, [...(users.get(s.route.key) ?? []), s]);
  const out: string[] = [];
  for (const s of placed) {
    const same = users.get(s.route.key)!;
    const slot = same.indexOf(s);
    const centre = same.length === 1 ? 0.5 : 0.3 + (0.4 * slot) / (same.length - 1);
    const points = offsetPolyline(s.route.points, offsets.get(s)!);
    const fractions = [0, -0.08, 0.08, -0.16, 0.16, -0.24, 0.24].map((d) => Math.min(0.85, Math.max(0.15, centre + d)));
    const cause = causeText(s.step);
    let best: { at: Point & { dx: number; dy: number }; badge: Rect; label?: Rect & { x: number; y: number; anchor: 'start' | 'middle' | 'end' } } | undefined;
    for (const f of fractions) {
      const at = pointAlong(points, f);
      const badge = { x0: at.x - 11, y0: at.y - 11, x1: at.x + 11, y1: at.y + 11 };
      if (occupied.some((r) => overlaps(r, badge))) continue;
      const label = cause === undefined ? undefined : causePlacement(at, cause, [...occupied, badge]);
      if (cause !== undefined && label === undefined) continue;
      best = { at, badge, label };
      break;
    }
    if (!best) {
      const at = pointAlong(points, centre);
      const badge = { x0: at.x - 11, y0: at.y - 11, x1: at.x + 11, y1: at.y + 11 };
      best = { at, badge, label: cause === undefined ? undefined : causePlacement(at, cause, [], true) };
    }
    occupied.push(best.badge);
    if (best.label) occupied.push(best.label);
    const { at } = best;
    const colour = PATH_COLOURS[s.path];
    const hollow = s.step.kind === 'inferred';
    const number = String(s.index + 1);
    const parts = [
      el('circle', { cx: at.x, cy: at.y, r: 10, fill: hollow ? COLOURS.paper : colour, stroke: colour, 'stroke-width': 1.8 }),
      text(at.x, at.y + 3.9, number, { class: 'badge-num', 'text-anchor': 'middle', style: hollow ? `fill:${colour}` : undefined }),
    ];
    if (cause !== undefined && best.label) parts.push(text(best.label.x, best.label.y, cause, { class: 'cause halo', fill: colour, 'text-anchor': best.label.anchor }));
    out.push(el('g', { class: `step ${PATH_CLASSES[s.path]} ${s.step.kind}`, 'data-step': number, 'data-cause': s.step.cause }, tooltip(stepSentence(s.step)), ...parts));
  }
  return out;
}

function causeText(step: PathStep): string | undefined {
  if (step.kind === 'event') return step.cause;
  if (step.kind === 'vanished') return 'gone';
  return undefined;
}

function stepSentence(step: PathStep): string {
  const what = `${step.from} → ${step.to}`;
  switch (step.kind) {
    case 'event':
      return `${what}: ${step.cause ?? ''}`;
    case 'observed':
      return `${what}: seen by ss`;
    case 'inferred':
      return `${what}: too brief for ss to see`;
    case 'vanished':
      return `${what}: the socket was gone from ss`;
  }
}

/** A free place for a cause beside its badge: across the line first, then along it. */
function causePlacement(at: Point & { dx: number; dy: number }, cause: string, occupied: readonly Rect[], force = false): (Rect & { x: number; y: number; anchor: 'start' | 'middle' | 'end' }) | undefined {
  const n = { x: at.dy, y: -at.dx };
  const candidates: { x: number; y: number; anchor: 'start' | 'middle' | 'end' }[] = [];
  for (const side of [1, -1]) {
    const ox = n.x * side;
    const oy = n.y * side;
    const anchor = Math.abs(ox) > 0.45 ? (ox > 0 ? 'start' : 'end') : 'middle';
    candidates.push(anchor === 'middle' ? { x: at.x + ox * 18, y: at.y + (oy > 0 ? 22 : -14), anchor } : { x: at.x + ox * 15, y: at.y + oy * 15 + 4, anchor });
  }
  candidates.push({ x: at.x + 14, y: at.y + 19, anchor: 'start' }, { x: at.x - 14, y: at.y + 19, anchor: 'end' }, { x: at.x + 14, y: at.y - 12, anchor: 'start' }, { x: at.x - 14, y: at.y - 12, anchor: 'end' });
  for (const c of candidates) {
    const rect = textRect(c.x, c.y, cause, 11.5, c.anchor);
    if (force || !occupied.some((r) => overlaps(r, rect))) return { ...rect, ...c };
  }
  return undefined;
}

/** The side panel: title, what each colour and line style means, and every step with its time. */
function sidePanel(input: StateDiagramInput, paths: readonly StatePath[], origin: number, dashes: ReadonlySet<string | undefined>): { svg: string; height: number } {
  const x = 28;
  const width = PANEL_WIDTH - 48;
  const out: string[] = [];
  let y = 52;
  // A long title (a connection's two ends) is set smaller rather than cut by the edge.
  const titleSize = Math.min(22, Math.floor((width / textWidth(input.title, 1)) * 10) / 10);
  out.push(text(x, y, input.title, { class: 'panel-title', style: titleSize < 22 ? `font-size:${titleSize}px` : undefined }));
  y += 22;
  for (const line of input.subtitle ? wrapText(input.subtitle, width, 12.5) : []) {
    out.push(text(x, y, line, { class: 'panel-sub' }));
    y += 17;
  }
  y += 14;
  out.push(text(x, y, 'ENDS', { class: 'panel-h' }));
  y += 20;
  paths.forEach((path, p) => {
    out.push(el('line', { x1: x, y1: y - 4, x2: x + 26, y2: y - 4, stroke: PATH_COLOURS[p], 'stroke-width': 3, 'stroke-linecap': 'round' }));
    out.push(richText(x + 36, y, [{ text: path.name, attrs: { 'font-weight': '700', fill: PATH_COLOURS[p] } }, { text: `  ${path.endpoint}`, attrs: { class: 'mono', fill: COLOURS.text } }], { class: 'panel-text' }));
    y += 16;
    out.push(text(x + 36, y, path.source, { class: 'panel-muted' }));
    y += 22;
  });
  y += 4;
  out.push(text(x, y, 'LINES', { class: 'panel-h' }));
  y += 18;
  // The line styles this picture uses.
  const styles: [string | undefined, string, string][] = [
    [undefined, COLOURS.ink, 'a transition of RFC 9293 Figure 5'],
    ...(dashes.has('7 5') ? [['7 5', COLOURS.ink, 'taken, but not drawn in Figure 5 (Linux)'] as [string, string, string]] : []),
    ...(dashes.has('1.5 5') ? [['1.5 5', COLOURS.ink, 'not seen: too quick for ss (its way inferred)'] as [string, string, string]] : []),
    [undefined, COLOURS.faint, 'in Figure 5, not taken'],
  ];
  for (const [dash, colour, words] of styles) {
    out.push(el('line', { x1: x, y1: y - 4, x2: x + 26, y2: y - 4, stroke: colour, 'stroke-width': colour === COLOURS.faint ? 1.3 : 2.4, 'stroke-dasharray': dash, 'stroke-linecap': 'round' }));
    out.push(text(x + 36, y, words, { class: 'panel-text' }));
    y += 19;
  }
  out.push(text(x, y, 'Boxes show the time spent in each state.', { class: 'panel-muted' }));
  y += 28;

  paths.forEach((path, p) => {
    out.push(text(x, y, `${path.name.toUpperCase()} STEPS`, { class: 'panel-h', fill: PATH_COLOURS[p], style: `fill:${PATH_COLOURS[p]}` }));
    y += 8;
    for (const [i, step] of path.steps.entries()) {
      y += 21;
      const hollow = step.kind === 'inferred';
      out.push(el('circle', { cx: x + 9, cy: y - 4, r: 9, fill: hollow ? COLOURS.paper : PATH_COLOURS[p], stroke: PATH_COLOURS[p], 'stroke-width': 1.6 }));
      out.push(text(x + 9, y - 0.3, String(i + 1), { class: 'badge-num', 'text-anchor': 'middle', style: hollow ? `fill:${PATH_COLOURS[p]}` : undefined }));
      out.push(text(x + 26, y, step.at === undefined ? '' : formatOffset(step.at - origin), { class: 'mono', fill: COLOURS.muted }));
      out.push(text(x + 100, y, `${step.from} → ${step.to}`, { class: 'panel-text', 'font-weight': '600' }));
      const why = step.kind === 'event' ? (step.cause ?? '') : step.kind === 'inferred' ? 'not seen' : step.kind === 'vanished' ? 'gone from ss' : 'seen';
      out.push(text(width + x, y, why, { class: 'panel-text', 'text-anchor': 'end', fill: step.kind === 'event' ? PATH_COLOURS[p] : COLOURS.muted, style: `fill:${step.kind === 'event' ? PATH_COLOURS[p] : COLOURS.muted}` }));
    }
    const last = path.steps[path.steps.length - 1];
    if (last === undefined) {
      y += 20;
      out.push(text(x, y, 'no state change seen', { class: 'panel-muted' }));
    } else if (last.to !== 'CLOSED') {
      y += 20;
      out.push(text(x + 26, y, `still ${last.to} at the end`, { class: 'panel-muted' }));
    }
    y += 30;
  });
  for (const line of wrapText(input.clockNote ?? 'Times from the first step shown.', width, 11.5)) {
    out.push(text(x, y, line, { class: 'panel-muted' }));
    y += 15;
  }
  const height = y + 24;
  const background = el('rect', { x: 0, y: 0, width: PANEL_WIDTH, height: Math.max(height, FIGURE_HEIGHT), fill: COLOURS.panel });
  const rule = el('line', { x1: 0, y1: 0, x2: 0, y2: Math.max(height, FIGURE_HEIGHT), stroke: COLOURS.grid, 'stroke-width': 1 });
  return { svg: background + rule + out.join(''), height };
}
