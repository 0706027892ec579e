// The time-sequence graph of one direction of a connection, as tcptrace and Wireshark's
// "Stevens"/"tcptrace" graphs draw it: sequence numbers (relative to the ISN) against time, each
// data segment a vertical bar from its first byte to its last, retransmissions in another
// colour, the peer's cumulative ACK and the right edge of its receive window as step lines
// above, the ranges it SACKed shaded, SYN, FIN and RST marked.
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../wire/tcp.js';
import { AXES_STYLE, axes, clipPath, legendRow, type PlotArea } from './axes.js';
import { formatBytes, formatDuration, linearScale, niceDomain, ticks, timeTickFormat } from './scale.js';
import type { Conversation, SegmentRecord } from './segments.js';
import { COLOURS, el, num, svgDocument, text, tooltip } from './svg.js';

export interface TimeSequenceInput {
  readonly conversation: Conversation;
  /** The end whose data is plotted ("10.77.0.2:47120"): one of the conversation's two. */
  readonly sender: string;
  /** A line above the graph (default: the direction). */
  readonly title?: string;
}

/** What the graph shows, computed from the segments: exposed so tests and callers can check it. */
export interface TimeSequenceData {
  readonly isn: number;
  /** The receiver's window scale shift, when both SYNs were captured with the option. */
  readonly windowShift: number | undefined;
  readonly start: number;
  readonly end: number;
  readonly bars: readonly { at: number; from: number; to: number; retransmission: boolean; seg: SegmentRecord }[];
  readonly acks: readonly { at: number; ack: number; edge: number }[];
  readonly sacks: readonly { from: number; to: number; left: number; right: number }[];
  readonly marks: readonly { at: number; seq: number; what: 'SYN' | 'FIN' | 'RST'; by: 'sender' | 'receiver' }[];
}

/** Sequence space offset from the ISN, modulo 2^32. */
function relative(seq: number, isn: number): number {
  return (seq - isn) >>> 0;
}

export function timeSequenceData(c: Conversation, sender: string): TimeSequenceData {
  const receiver = sender === c.a ? c.b : c.a;
  const out = c.segments.filter((s) => s.src === sender);
  const back = c.segments.filter((s) => s.src === receiver);
  const syn = out.find((s) => s.flags & TCP_SYN);
  const isn = syn?.seq ?? out[0]?.seq ?? (back.find((s) => s.flags & TCP_ACK)?.ack ?? 1) - 1;
  const peerSyn = back.find((s) => s.flags & TCP_SYN);
  // RFC 7323 §2.2: scaling is in force only when both SYNs carried the option; the SYNs' own
  // windows are never scaled.
  const windowShift = syn?.windowScale !== undefined && peerSyn?.windowScale !== undefined ? Math.min(14, peerSyn.windowScale) : undefined;
  const start = c.segments[0]?.at ?? 0;
  const end = c.segments[c.segments.length - 1]?.at ?? start;

  const bars: TimeSequenceData['bars'][number][] = [];
  const marks: TimeSequenceData['marks'][number][] = [];
  let highest = 0;
  for (const s of out) {
    const from = relative(s.seq, isn);
    const span = s.length + (s.flags & TCP_SYN ? 1 : 0) + (s.flags & TCP_FIN ? 1 : 0);
    if (s.flags & TCP_SYN) marks.push({ at: s.at, seq: from, what: 'SYN', by: 'sender' });
    if (s.flags & TCP_FIN) marks.push({ at: s.at, seq: from + s.length, what: 'FIN', by: 'sender' });
    if (s.flags & TCP_RST) marks.push({ at: s.at, seq: from, what: 'RST', by: 'sender' });
    if (s.length > 0) bars.push({ at: s.at, from, to: from + s.length, retransmission: from < highest, seg: s });
    highest = Math.max(highest, from + span);
  }
  const acks: TimeSequenceData['acks'][number][] = [];
  const sacks: TimeSequenceData['sacks'][number][] = [];
  for (const [i, s] of back.entries()) {
    if (s.flags & TCP_RST) marks.push({ at: s.at, seq: relative(s.flags & TCP_ACK ? s.ack : s.seq, isn), what: 'RST', by: 'receiver' });
    if (!(s.flags & TCP_ACK)) continue;
    const ack = relative(s.ack, isn);
    const window = s.flags & TCP_SYN || windowShift === undefined ? s.window : s.window << windowShift;
    acks.push({ at: s.at, ack, edge: ack + window });
    const until = back.slice(i + 1).find((n) => n.flags & TCP_ACK)?.at ?? end;
    for (const b of s.sack) sacks.push({ from: s.at, to: until, left: relative(b.left, isn), right: relative(b.right, isn) });
  }
  return { isn, windowShift, start, end, bars, acks, sacks, marks };
}

const WIDTH = 1200;
const HEIGHT = 780;
const AREA: PlotArea = { x: 112, y: 132, width: 1052, height: 560 };

/** Draws the graph. Pure: the same input gives the same SVG. */
export function timeSequenceSvg(input: TimeSequenceInput): string {
  const { conversation: c, sender } = input;
  if (sender !== c.a && sender !== c.b) throw Object.assign(new RangeError(`${sender} is not an end of ${c.a} ⇄ ${c.b}`), { code: 'ERR_INVALID_ARG_VALUE' });
  const receiver = sender === c.a ? c.b : c.a;
  const d = timeSequenceData(c, sender);
  const duration = Math.max(d.end - d.start, 1);
  // The window's edge can sit far above the data (a large buffer): the data matters more, so
  // the graph keeps to it and says where the edge went.
  const dataTop = Math.max(1, ...d.bars.map((b) => b.to), ...d.acks.map((a) => a.ack), ...d.marks.map((m) => m.seq + 1));
  const windowTop = Math.max(0, ...d.acks.map((a) => a.edge));
  const windowClipped = windowTop > dataTop * 1.6;
  // Sequence numbers are whole: at least 10 of them, so ticks fall on integers.
  const [y0, y1] = niceDomain(0, Math.max(10, windowClipped ? dataTop * 1.08 : Math.max(dataTop, windowTop)), 8);
  const xDomain = niceDomain(0, duration, 10);
  const x = linearScale(xDomain, [AREA.x, AREA.x + AREA.width]);
  const y = linearScale([y0, y1], [AREA.y + AREA.height, AREA.y]);
  const t = (at: number): number => x(at - d.start);

  const parts: string[] = [];
  const retransmissionCount = d.bars.filter((b) => b.retransmission).length;
  // SACKed ranges first, under everything.
  for (const s of d.sacks) {
    parts.push(el('rect', { class: 'sack', x: t(s.from), y: y(s.right), width: Math.max(1.5, t(s.to) - t(s.from)), height: Math.max(1, y(s.left) - y(s.right)), fill: COLOURS.sack, 'fill-opacity': 0.22 }));
  }
  parts.push(stepLine(d.acks.map((a) => ({ x: t(a.at), y: y(a.ack) })), t(d.end), COLOURS.ack, 'ack-line'));
  parts.push(stepLine(d.acks.map((a) => ({ x: t(a.at), y: y(a.edge) })), t(d.end), COLOURS.window, 'window-line'));
  for (const b of d.bars) {
    const bx = t(b.at);
    const yTop = y(b.to);
    const yBottom = y(b.from);
    const colour = b.retransmission ? COLOURS.alarm : COLOURS.tcplab;
    if (b.retransmission && retransmissionCount <= 60) parts.push(text(bx + 5, yTop - 3, 'R', { class: 'r-label halo', fill: COLOURS.alarm }));
    parts.push(
      el(
        'path',
        {
          class: b.retransmission ? 'data retransmission' : 'data',
          d: `M ${num(bx - 2.5)} ${num(yTop)} H ${num(bx + 2.5)} M ${num(bx)} ${num(yTop)} V ${num(yBottom)} M ${num(bx - 2.5)} ${num(yBottom)} H ${num(bx + 2.5)}`,
          stroke: colour,
          'stroke-width': b.retransmission ? 2 : 1.4,
          fill: 'none',
        },
        tooltip(`${b.retransmission ? 'retransmission ' : ''}seq ${b.from}:${b.to} (${b.to - b.from} bytes) at ${formatDuration(b.at - d.start)}`),
      ),
    );
  }
  for (const m of d.marks) {
    const mx = t(m.at);
    const my = y(m.seq);
    const colour = m.what === 'RST' ? COLOURS.alarm : COLOURS.ink;
    parts.push(
      el(
        'g',
        { class: `mark ${m.what.toLowerCase()}` },
        tooltip(`${m.what} from the ${m.by} at ${formatDuration(m.at - d.start)}`),
        el('path', { d: `M ${num(mx)} ${num(my - 5)} L ${num(mx + 5)} ${num(my)} L ${num(mx)} ${num(my + 5)} L ${num(mx - 5)} ${num(my)} Z`, fill: m.by === 'sender' ? colour : COLOURS.paper, stroke: colour, 'stroke-width': 1.5 }),
        text(mx + 8, my - 7, m.what, { class: 'mark-label halo', fill: colour }),
      ),
    );
  }

  const xTicks = ticks(xDomain[0], xDomain[1], 10);
  const yTicks = ticks(y0, y1, 8);
  const retransmitted = d.bars.filter((b) => b.retransmission);
  const bytes = d.bars.filter((b) => !b.retransmission).reduce((s, b) => s + (b.to - b.from), 0);
  const stats = [
    `${d.bars.length} data segment${d.bars.length === 1 ? '' : 's'}`,
    `${retransmitted.length} retransmitted`,
    `${formatBytes(bytes)} in ${formatDuration(duration)}`,
    d.windowShift === undefined ? 'window scale unknown (handshake not captured): windows unscaled' : `receive window scaled by 2^${d.windowShift}`,
    ...(windowClipped ? [`window edge reaches ${formatBytes(windowTop)}, above the graph`] : []),
  ].join('  ·  ');

  const swatch = (colour: string, kind: 'bar' | 'line' | 'box' | 'diamond'): string =>
    kind === 'bar'
      ? el('path', { d: 'M 6 -7 H 12 M 9 -7 V 7 M 6 7 H 12', stroke: colour, 'stroke-width': 1.8, fill: 'none' })
      : kind === 'line'
        ? el('path', { d: 'M 0 3 H 8 V -3 H 20', stroke: colour, 'stroke-width': 2, fill: 'none' })
        : kind === 'box'
          ? el('rect', { x: 2, y: -6, width: 16, height: 12, fill: colour, 'fill-opacity': 0.22, stroke: 'none' })
          : el('path', { d: 'M 10 -5 L 15 0 L 10 5 L 5 0 Z', fill: colour });
  const legend = legendRow(AREA.x, 104, [
    { swatch: swatch(COLOURS.tcplab, 'bar'), label: 'data segment' },
    { swatch: swatch(COLOURS.alarm, 'bar'), label: 'retransmission' },
    { swatch: swatch(COLOURS.ack, 'line'), label: `ACK from ${receiver}` },
    { swatch: swatch(COLOURS.window, 'line'), label: 'receive window (ACK + window)' },
    { swatch: swatch(COLOURS.sack, 'box'), label: 'SACKed' },
    { swatch: swatch(COLOURS.ink, 'diamond'), label: 'SYN / FIN / RST' },
  ]);

  const body = [
    text(AREA.x, 46, input.title ?? `Time-sequence graph: ${sender} → ${receiver}`, { class: 'title' }),
    text(AREA.x, 70, stats, { class: 'subtitle' }),
    legend,
    axes({ area: AREA, x, y, xTicks, yTicks, xFormat: timeTickFormat(xDomain[1] - xDomain[0]), yFormat: formatBytes, xTitle: 'time since the first segment', yTitle: `sequence number, relative to the ISN (${sender})` }),
    el('g', { 'clip-path': 'url(#plot)' }, ...parts),
  ].join('');
  return svgDocument({
    width: WIDTH,
    height: HEIGHT,
    title: `Time-sequence graph of ${sender} → ${receiver}`,
    description: stats,
    style: `${AXES_STYLE}.title{font-size:20px;font-weight:700;fill:${COLOURS.ink};}.subtitle{font-size:12.5px;fill:${COLOURS.muted};}.mark-label{font-size:11px;font-weight:700;}.r-label{font-size:10px;font-weight:700;}.halo{paint-order:stroke;stroke:#fff;stroke-width:3.5px;stroke-linejoin:round;}`,
    // Lines stop at the top of the plot; the marks at its other edges stay whole.
    defs: clipPath('plot', { x: AREA.x - 8, y: AREA.y, width: AREA.width + 16, height: AREA.height + 8 }),
    body,
  });
}

/** A line that holds each value until the next one (as an ACK holds until the next ACK). */
function stepLine(points: readonly { x: number; y: number }[], endX: number, colour: string, cls: string): string {
  if (points.length === 0) return '';
  let d = `M ${num(points[0].x)} ${num(points[0].y)}`;
  for (let i = 1; i < points.length; i++) d += ` H ${num(points[i].x)} V ${num(points[i].y)}`;
  d += ` H ${num(Math.max(endX, points[points.length - 1].x))}`;
  return el('path', { class: cls, d, fill: 'none', stroke: colour, 'stroke-width': 1.6, 'stroke-linejoin': 'round' });
}
