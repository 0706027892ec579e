// cwnd, ssthresh and RTT over time for one connection, from its trace: the congestion window
// and slow-start threshold as step lines (bytes) with the loss recoveries shaded, and below them
// each RTT sample with the smoothed RTT and the retransmission timeout; every retransmission is
// a mark across both.
import type { CwndChangeEvent, RetransmissionEvent, RttSampleEvent } from '../../tcp/events.js';
import { AXES_STYLE, axes, clipPath, legendRow, type PlotArea } from './axes.js';
import { formatBytes, formatDuration, linearScale, niceDomain, ticks, timeTickFormat } from './scale.js';
import { COLOURS, el, num, svgDocument, text, tooltip } from './svg.js';

export interface CongestionInput {
  /** The connection's events (others are ignored), `at` in milliseconds. */
  readonly events: readonly { readonly type: string; readonly at: number }[];
  readonly title?: string;
  readonly subtitle?: string;
}

const WIDTH = 1200;
const HEIGHT = 860;
const TOP: PlotArea = { x: 112, y: 132, width: 1052, height: 340 };
const BOTTOM: PlotArea = { x: 112, y: 540, width: 1052, height: 220 };

/** Periods of loss recovery, from the congestion events' causes. */
function recoveries(cwnd: readonly CwndChangeEvent[], end: number): { from: number; to: number; kind: 'recovery' | 'loss' }[] {
  const out: { from: number; to: number; kind: 'recovery' | 'loss' }[] = [];
  let open: { from: number; kind: 'recovery' | 'loss' } | undefined;
  for (const e of cwnd) {
    if (e.cause === 'enter-recovery' || e.cause === 'timeout') {
      if (open && open.kind === (e.cause === 'timeout' ? 'loss' : 'recovery')) continue;
      if (open) out.push({ ...open, to: e.at });
      open = { from: e.at, kind: e.cause === 'timeout' ? 'loss' : 'recovery' };
    } else if (open && (e.cause === 'exit-recovery' || e.cause === 'exit-loss')) {
      out.push({ ...open, to: e.at });
      open = undefined;
    }
  }
  if (open) out.push({ ...open, to: end });
  return out;
}

/** Draws the picture. Pure: the same input gives the same SVG. */
export function congestionSvg(input: CongestionInput): string {
  const cwnd = input.events.filter((e): e is CwndChangeEvent => e.type === 'cwnd');
  const rtt = input.events.filter((e): e is RttSampleEvent => e.type === 'rtt-sample');
  const rtx = input.events.filter((e): e is RetransmissionEvent => e.type === 'retransmission');
  // The span of the congestion events: a connection that lingers in TIME-WAIT for a minute
  // after its data must not squeeze the data into the first pixels.
  const times = [...cwnd, ...rtt, ...rtx].map((e) => e.at);
  const start = times.length > 0 ? Math.min(...times) : 0;
  const end = times.length > 0 ? Math.max(...times) : 1;
  const xDomain = niceDomain(0, Math.max(end - start, 1), 10);
  const x = linearScale(xDomain, [TOP.x, TOP.x + TOP.width]);
  const t = (at: number): number => x(at - start);
  const xTicks = ticks(xDomain[0], xDomain[1], 10);
  const xFormat = timeTickFormat(xDomain[1] - xDomain[0]);

  // Top: cwnd and ssthresh. ssthresh starts "arbitrarily high" (RFC 5681 §3.1): not drawn
  // until it is finite.
  const finiteSsthresh = cwnd.filter((e) => Number.isFinite(e.ssthresh));
  const [w0, w1] = niceDomain(0, Math.max(1, ...cwnd.map((e) => e.cwnd), ...finiteSsthresh.map((e) => e.ssthresh)), 6);
  const yw = linearScale([w0, w1], [TOP.y + TOP.height, TOP.y]);
  const top: string[] = [];
  for (const r of recoveries(cwnd, end)) {
    top.push(
      el(
        'rect',
        { class: `period ${r.kind}`, x: t(r.from), y: TOP.y, width: Math.max(1, t(r.to) - t(r.from)), height: TOP.height, fill: r.kind === 'loss' ? COLOURS.alarm : COLOURS.window, 'fill-opacity': 0.09 },
        tooltip(`${r.kind === 'loss' ? 'loss recovery after a timeout' : 'fast recovery'}: ${formatDuration(r.to - r.from)}`),
      ),
    );
  }
  top.push(steps(cwnd.map((e) => ({ at: t(e.at), v: yw(e.cwnd) })), t(end), COLOURS.tcplab, 'cwnd', undefined, 2.2));
  top.push(steps(segmentsOf(cwnd, (e) => Number.isFinite(e.ssthresh)).map((run) => run.map((e) => ({ at: t(e.at), v: yw(e.ssthresh) }))), t(end), COLOURS.peer, 'ssthresh', '6 4', 1.8));

  // Bottom: RTT samples, smoothed RTT, RTO.
  const [r0, r1] = niceDomain(0, Math.max(1, ...rtt.map((e) => Math.max(e.rtt, e.srtt, e.rto))), 5);
  const yr = linearScale([r0, r1], [BOTTOM.y + BOTTOM.height, BOTTOM.y]);
  const bottom: string[] = [];
  bottom.push(steps(rtt.map((e) => ({ at: t(e.at), v: yr(e.rto) })), t(end), COLOURS.alarm, 'rto', '5 4', 1.5));
  bottom.push(el('path', { class: 'srtt', d: polyline(rtt.map((e) => ({ x: t(e.at), y: yr(e.srtt) }))), fill: 'none', stroke: COLOURS.tcplab, 'stroke-width': 2, 'stroke-linejoin': 'round' }));
  for (const e of rtt) {
    bottom.push(el('circle', { class: 'rtt-sample', cx: t(e.at), cy: yr(e.rtt), r: 2.6, fill: COLOURS.ink, 'fill-opacity': 0.55 }, tooltip(`RTT ${formatDuration(e.rtt)} at ${formatDuration(e.at - start)} (srtt ${formatDuration(e.srtt)}, rto ${formatDuration(e.rto)})`)));
  }

  // Retransmissions across both plots, labelled with their kind on top.
  const marks: string[] = [];
  let lastLabelX = -Infinity;
  for (const e of rtx) {
    const mx = t(e.at);
    marks.push(
      el(
        'g',
        { class: `retransmission ${e.kind}` },
        tooltip(`${e.kind} retransmission of ${e.len} bytes at ${formatDuration(e.at - start)}${e.rto ? ` (RTO ${formatDuration(e.rto)})` : ''}`),
        el('line', { x1: mx, y1: TOP.y, x2: mx, y2: TOP.y + TOP.height, stroke: COLOURS.alarm, 'stroke-width': 1, 'stroke-opacity': 0.55 }),
        el('line', { x1: mx, y1: BOTTOM.y, x2: mx, y2: BOTTOM.y + BOTTOM.height, stroke: COLOURS.alarm, 'stroke-width': 1, 'stroke-opacity': 0.55 }),
        el('path', { d: `M ${num(mx - 4)} ${num(TOP.y - 7)} L ${num(mx + 4)} ${num(TOP.y - 7)} L ${num(mx)} ${num(TOP.y - 1)} Z`, fill: COLOURS.alarm }),
        // Labels only where they do not run into the previous one.
        mx - lastLabelX > 46 ? text(mx, TOP.y - 11, e.kind, { class: 'rtx-label', 'text-anchor': 'middle' }) : '',
      ),
    );
    if (mx - lastLabelX > 46) lastLabelX = mx;
  }

  const maxCwnd = Math.max(0, ...cwnd.map((e) => e.cwnd));
  const stats = [
    `${rtx.length} retransmission${rtx.length === 1 ? '' : 's'}`,
    `cwnd up to ${formatBytes(maxCwnd)}`,
    rtt.length > 0 ? `RTT ${formatDuration(Math.min(...rtt.map((e) => e.rtt)))} – ${formatDuration(Math.max(...rtt.map((e) => e.rtt)))} over ${rtt.length} samples` : 'no RTT sample',
  ].join('  ·  ');
  const line = (colour: string, dash?: string): string => el('path', { d: 'M 0 0 H 20', stroke: colour, 'stroke-width': 2.2, 'stroke-dasharray': dash, fill: 'none' });
  const body = [
    text(TOP.x, 46, input.title ?? 'Congestion window, slow-start threshold and RTT', { class: 'title' }),
    text(TOP.x, 70, input.subtitle ? `${input.subtitle}  ·  ${stats}` : stats, { class: 'subtitle' }),
    legendRow(TOP.x, 100, [
      { swatch: line(COLOURS.tcplab), label: 'cwnd' },
      { swatch: line(COLOURS.peer, '6 4'), label: 'ssthresh' },
      { swatch: el('rect', { x: 0, y: -6, width: 20, height: 12, fill: COLOURS.window, 'fill-opacity': 0.18 }), label: 'fast recovery' },
      { swatch: el('rect', { x: 0, y: -6, width: 20, height: 12, fill: COLOURS.alarm, 'fill-opacity': 0.18 }), label: 'after a timeout' },
      { swatch: el('line', { x1: 10, y1: -7, x2: 10, y2: 7, stroke: COLOURS.alarm, 'stroke-width': 1.5 }), label: 'retransmission' },
    ]),
    axes({ area: TOP, x, y: yw, xTicks, yTicks: ticks(w0, w1, 6), xFormat, yFormat: formatBytes, yTitle: 'window (bytes)', xLabels: true }),
    el('g', { 'clip-path': 'url(#top)' }, ...top),
    legendRow(BOTTOM.x, BOTTOM.y - 22, [
      { swatch: el('circle', { cx: 10, cy: 0, r: 3, fill: COLOURS.ink, 'fill-opacity': 0.55 }), label: 'RTT sample' },
      { swatch: line(COLOURS.tcplab), label: 'smoothed RTT' },
      { swatch: line(COLOURS.alarm, '5 4'), label: 'retransmission timeout (RTO)' },
    ]),
    axes({ area: BOTTOM, x, y: yr, xTicks, yTicks: ticks(r0, r1, 5), xFormat, yFormat: (v) => timeTickFormat(r1 - r0)(v), xTitle: 'time since the connection’s first event', yTitle: 'RTT and RTO' }),
    el('g', { 'clip-path': 'url(#bottom)' }, ...bottom),
    el('g', { class: 'retransmissions' }, ...marks),
  ].join('');
  return svgDocument({
    width: WIDTH,
    height: HEIGHT,
    title: input.title ?? 'Congestion window, slow-start threshold and RTT over time',
    description: stats,
    style: `${AXES_STYLE}.title{font-size:20px;font-weight:700;fill:${COLOURS.ink};}.subtitle{font-size:12.5px;fill:${COLOURS.muted};}.rtx-label{font-size:10.5px;font-weight:600;fill:${COLOURS.alarm};}`,
    defs: clipPath('top', TOP) + clipPath('bottom', BOTTOM),
    body,
  });
}

/** Runs of consecutive events for which `keep` holds. */
function segmentsOf<T>(items: readonly T[], keep: (item: T) => boolean): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  for (const item of items) {
    if (keep(item)) run.push(item);
    else if (run.length > 0) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** Step lines: each value holds until the next; `points` may be one run or several. */
function steps(points: readonly { at: number; v: number }[] | readonly (readonly { at: number; v: number }[])[], endX: number, colour: string, cls: string, dash: string | undefined, width: number): string {
  const runs = (points.length > 0 && Array.isArray(points[0]) ? points : [points]) as readonly (readonly { at: number; v: number }[])[];
  let d = '';
  for (const [i, run] of runs.entries()) {
    if (run.length === 0) continue;
    d += `M ${num(run[0].at)} ${num(run[0].v)}`;
    for (let k = 1; k < run.length; k++) d += ` H ${num(run[k].at)} V ${num(run[k].v)}`;
    // The last run holds to the end; an earlier one until the next run starts.
    const until = i === runs.length - 1 ? endX : runs[i + 1][0]?.at ?? endX;
    d += ` H ${num(until)} `;
  }
  return d === '' ? '' : el('path', { class: cls, d: d.trim(), fill: 'none', stroke: colour, 'stroke-width': width, 'stroke-dasharray': dash, 'stroke-linejoin': 'round' });
}

function polyline(points: readonly { x: number; y: number }[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'} ${num(p.x)} ${num(p.y)}`).join(' ');
}
