// RFC 9293 §3.3.2 Figure 5, "TCP Connection State Diagram", as geometry: where each of the
// eleven states sits, every transition of the figure with its "event / action" label, and the
// routes of the transitions Linux takes that the figure leaves out. Coordinates are hand-tuned
// to the figure's own layout (CLOSED at the top and again at the bottom right, the handshake's
// X in the middle, the two ways of closing down the sides).
import type { TcpStateName } from '../../tcp/state.js';

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** A box of the figure. CLOSED appears twice, as in the RFC: where connections start (and
 *  where a failed open ends) and where a finished one ends. */
export type BoxId = TcpStateName | 'CLOSED-END';

export interface StateBox {
  readonly id: BoxId;
  readonly state: TcpStateName;
  readonly x: number;
  readonly y: number;
}

export const BOX_HALF_WIDTH = 72;
export const BOX_HALF_HEIGHT = 25;

/** Width of the drawing the figure needs (the picture puts its side panel to the right). */
export const FIGURE_WIDTH = 1060;
export const FIGURE_HEIGHT = 1010;

const L = 192;
const C = 526;
const R = 860;
const ROW = [140, 262, 384, 506, 628, 770, 900] as const;
const HW = BOX_HALF_WIDTH;
const HH = BOX_HALF_HEIGHT;

export const STATE_BOXES: readonly StateBox[] = [
  { id: 'CLOSED', state: 'CLOSED', x: C, y: ROW[0] },
  { id: 'LISTEN', state: 'LISTEN', x: C, y: ROW[1] },
  { id: 'SYN-RECEIVED', state: 'SYN-RECEIVED', x: L, y: ROW[2] },
  { id: 'SYN-SENT', state: 'SYN-SENT', x: R, y: ROW[2] },
  { id: 'ESTABLISHED', state: 'ESTABLISHED', x: C, y: ROW[3] },
  { id: 'FIN-WAIT-1', state: 'FIN-WAIT-1', x: L, y: ROW[4] },
  { id: 'CLOSE-WAIT', state: 'CLOSE-WAIT', x: R, y: ROW[4] },
  { id: 'FIN-WAIT-2', state: 'FIN-WAIT-2', x: L, y: ROW[5] },
  { id: 'CLOSING', state: 'CLOSING', x: C, y: ROW[5] },
  { id: 'LAST-ACK', state: 'LAST-ACK', x: R, y: ROW[5] },
  { id: 'TIME-WAIT', state: 'TIME-WAIT', x: C, y: ROW[6] },
  { id: 'CLOSED-END', state: 'CLOSED', x: R, y: ROW[6] },
];

export function stateBox(id: BoxId): StateBox {
  return STATE_BOXES.find((b) => b.id === id)!;
}

export interface EdgeLabel {
  readonly x: number;
  readonly y: number;
  readonly anchor: 'start' | 'middle' | 'end';
  /** One line per entry. */
  readonly lines: readonly string[];
}

export interface FigureEdge {
  readonly from: BoxId;
  readonly to: BoxId;
  /** As the RFC's figure writes it: event, then action ("x" for none). */
  readonly event: string;
  readonly action: string;
  /** tcplab's causes (src/tcp/events.ts) this edge stands for, when the pair of states alone
   *  does not say (TIME-WAIT → CLOSED is the 2MSL timeout, not a RST). */
  readonly causes?: readonly string[];
  readonly points: readonly Point[];
  readonly label: EdgeLabel;
  /** Not drawn in Figure 5 but described by it: note 2's FIN-WAIT-1 → TIME-WAIT. Drawn only
   *  when a connection takes it. */
  readonly note?: string;
  /** How unlikely the edge is when filling in states ss missed (default 1): closing before
   *  the handshake completed, or an open turned back, is rare. */
  readonly cost?: number;
}

const p = (x: number, y: number): Point => ({ x, y });
const label = (x: number, y: number, anchor: EdgeLabel['anchor'], ...lines: string[]): EdgeLabel => ({ x, y, anchor, lines });

/** Every transition of Figure 5, plus note 2's. */
export const FIGURE_EDGES: readonly FigureEdge[] = [
  {
    from: 'CLOSED', to: 'LISTEN', event: 'passive OPEN', action: 'create TCB',
    points: [p(C - 26, ROW[0] + HH), p(C - 26, ROW[1] - HH)], label: label(C - 38, (ROW[0] + ROW[1]) / 2 + 4, 'end', 'passive OPEN / create TCB'),
  },
  {
    from: 'LISTEN', to: 'CLOSED', event: 'CLOSE', action: 'delete TCB', causes: ['close', 'abort'], cost: 3,
    points: [p(C + 26, ROW[1] - HH), p(C + 26, ROW[0] + HH)], label: label(C + 38, (ROW[0] + ROW[1]) / 2 + 4, 'start', 'CLOSE / delete TCB'),
  },
  {
    from: 'CLOSED', to: 'SYN-SENT', event: 'active OPEN', action: 'create TCB, snd SYN',
    points: [p(C + HW, ROW[0] + 10), p(R, ROW[0] + 10), p(R, ROW[2] - HH)], label: label((C + HW + R) / 2 + 6, ROW[0] + 30, 'middle', 'active OPEN / create TCB, snd SYN'),
  },
  {
    from: 'SYN-SENT', to: 'CLOSED', event: 'CLOSE', action: 'delete TCB', causes: ['close', 'abort'], cost: 3,
    points: [p(R + HW, ROW[2]), p(R + HW + 46, ROW[2]), p(R + HW + 46, ROW[0] - 10), p(C + HW, ROW[0] - 10)],
    label: label((C + HW + R + HW + 46) / 2, ROW[0] - 19, 'middle', 'CLOSE / delete TCB'),
  },
  {
    from: 'LISTEN', to: 'SYN-RECEIVED', event: 'rcv SYN', action: 'snd SYN,ACK',
    points: [p(C - 44, ROW[1] + HH), p(L + HW, ROW[2] - 14)], label: label(C - 104, ROW[1] + 36, 'end', 'rcv SYN / snd SYN,ACK'),
  },
  {
    from: 'LISTEN', to: 'SYN-SENT', event: 'SEND', action: 'snd SYN', cost: 3,
    points: [p(C + 44, ROW[1] + HH), p(R - HW, ROW[2] - 14)], label: label(C + 104, ROW[1] + 36, 'start', 'SEND / snd SYN'),
  },
  {
    from: 'SYN-SENT', to: 'SYN-RECEIVED', event: 'rcv SYN', action: 'snd SYN,ACK',
    points: [p(R - HW, ROW[2] + 1), p(L + HW, ROW[2] + 1)], label: label(C, ROW[2] - 8, 'middle', 'rcv SYN / snd SYN,ACK'),
  },
  {
    from: 'SYN-SENT', to: 'ESTABLISHED', event: 'rcv SYN,ACK', action: 'snd ACK',
    points: [p(R - HW, ROW[2] + 15), p(C + 44, ROW[3] - HH)], label: label(C + 160, ROW[3] - 20, 'start', 'rcv SYN,ACK / snd ACK'),
  },
  {
    from: 'SYN-RECEIVED', to: 'ESTABLISHED', event: 'rcv ACK of SYN', action: 'x',
    points: [p(L + HW, ROW[2] + 15), p(C - 44, ROW[3] - HH)], label: label(C - 160, ROW[3] - 20, 'end', 'rcv ACK of SYN / x'),
  },
  {
    from: 'SYN-RECEIVED', to: 'LISTEN', event: 'rcv RST', action: 'note 1', causes: ['rst'], cost: 3,
    points: [p(L, ROW[2] - HH), p(L, ROW[1]), p(C - HW, ROW[1])], label: label((L + C - HW) / 2 + 4, ROW[1] - 9, 'middle', 'rcv RST (note 1)'),
  },
  {
    from: 'SYN-RECEIVED', to: 'FIN-WAIT-1', event: 'CLOSE', action: 'snd FIN', cost: 3,
    points: [p(L, ROW[2] + HH), p(L, ROW[4] - HH)], label: label(L + 12, (ROW[2] + ROW[4]) / 2 + 4, 'start', 'CLOSE / snd FIN'),
  },
  {
    from: 'ESTABLISHED', to: 'FIN-WAIT-1', event: 'CLOSE', action: 'snd FIN',
    points: [p(C - 44, ROW[3] + HH), p(L + HW, ROW[4] - 12)], label: label(C - 104, ROW[3] + 44, 'end', 'CLOSE / snd FIN'),
  },
  {
    from: 'ESTABLISHED', to: 'CLOSE-WAIT', event: 'rcv FIN', action: 'snd ACK',
    points: [p(C + 44, ROW[3] + HH), p(R - HW, ROW[4] - 12)], label: label(C + 104, ROW[3] + 44, 'start', 'rcv FIN / snd ACK'),
  },
  {
    from: 'FIN-WAIT-1', to: 'FIN-WAIT-2', event: 'rcv ACK of FIN', action: 'x',
    points: [p(L, ROW[4] + HH), p(L, ROW[5] - HH)], label: label(L - 12, (ROW[4] + ROW[5]) / 2 + 4, 'end', 'rcv ACK of FIN / x'),
  },
  {
    from: 'FIN-WAIT-1', to: 'CLOSING', event: 'rcv FIN', action: 'snd ACK',
    points: [p(L + HW, ROW[4] + 10), p(C, ROW[4] + 10), p(C, ROW[5] - HH)], label: label((L + HW + C) / 2, ROW[4] + 30, 'middle', 'rcv FIN / snd ACK'),
  },
  {
    from: 'FIN-WAIT-1', to: 'TIME-WAIT', event: 'rcv FIN, ACK of FIN', action: 'snd ACK', note: 'RFC 9293 note 2', cost: 1.5,
    points: [p(L + 52, ROW[4] + HH), p(C - HW + 10, ROW[6] - HH)], label: label(L + 168, ROW[5] + 52, 'end', 'rcv FIN + ACK of FIN', '/ snd ACK (note 2)'),
  },
  {
    from: 'CLOSE-WAIT', to: 'LAST-ACK', event: 'CLOSE', action: 'snd FIN',
    points: [p(R, ROW[4] + HH), p(R, ROW[5] - HH)], label: label(R - 12, (ROW[4] + ROW[5]) / 2 + 4, 'end', 'CLOSE / snd FIN'),
  },
  {
    from: 'FIN-WAIT-2', to: 'TIME-WAIT', event: 'rcv FIN', action: 'snd ACK',
    points: [p(L, ROW[5] + HH), p(L, ROW[6]), p(C - HW, ROW[6])], label: label((L + C - HW) / 2, ROW[6] - 9, 'middle', 'rcv FIN / snd ACK'),
  },
  {
    from: 'CLOSING', to: 'TIME-WAIT', event: 'rcv ACK of FIN', action: 'x',
    points: [p(C, ROW[5] + HH), p(C, ROW[6] - HH)], label: label(C + 12, (ROW[5] + ROW[6]) / 2 + 4, 'start', 'rcv ACK of FIN / x'),
  },
  {
    from: 'LAST-ACK', to: 'CLOSED-END', event: 'rcv ACK of FIN', action: 'x', causes: ['ack'],
    points: [p(R, ROW[5] + HH), p(R, ROW[6] - HH)], label: label(R - 12, (ROW[5] + ROW[6]) / 2 + 4, 'end', 'rcv ACK of FIN / x'),
  },
  {
    from: 'TIME-WAIT', to: 'CLOSED-END', event: 'Timeout=2MSL', action: 'delete TCB', causes: ['timeout'],
    points: [p(C + HW, ROW[6]), p(R - HW, ROW[6])], label: label((C + R) / 2, ROW[6] - 23, 'middle', 'Timeout=2MSL', '/ delete TCB'),
  },
];

/** Routes for transitions Linux takes that Figure 5 does not draw (RFC 9293 note 3: "receipt
 *  of a RST from any state results in a transition to LISTEN or CLOSED, though this is also
 *  omitted from the diagram for legibility"), laid around the figure so they cross little. */
export const LINUX_ROUTES: readonly { readonly from: BoxId; readonly to: BoxId; readonly points: readonly Point[]; readonly label: Point & { anchor: EdgeLabel['anchor'] } }[] = [
  {
    from: 'ESTABLISHED', to: 'CLOSED-END',
    points: [p(C + HW, ROW[3]), p(R + HW + 62, ROW[3]), p(R + HW + 62, ROW[6] + 6), p(R + HW, ROW[6] + 6)],
    label: { x: R + HW + 56, y: ROW[3] - 8, anchor: 'end' },
  },
  {
    from: 'CLOSE-WAIT', to: 'CLOSED-END',
    points: [p(R + HW, ROW[4]), p(R + HW + 34, ROW[4]), p(R + HW + 34, ROW[6] - 8), p(R + HW, ROW[6] - 8)],
    label: { x: R + HW + 40, y: ROW[4] - 8, anchor: 'end' },
  },
  {
    from: 'LAST-ACK', to: 'CLOSED-END',
    points: [p(R + 30, ROW[5] + HH), p(R + 30, ROW[6] - HH)],
    label: { x: R + 42, y: (ROW[5] + ROW[6]) / 2 + 4, anchor: 'start' },
  },
  {
    from: 'FIN-WAIT-2', to: 'CLOSED-END',
    points: [p(L - 36, ROW[5] + HH), p(L - 36, ROW[6] + 56), p(R, ROW[6] + 56), p(R, ROW[6] + HH)],
    label: { x: (C + R) / 2, y: ROW[6] + 72, anchor: 'middle' },
  },
  {
    from: 'FIN-WAIT-1', to: 'CLOSED-END',
    points: [p(L - HW, ROW[4] + 8), p(40, ROW[4] + 8), p(40, ROW[6] + 84), p(R + 40, ROW[6] + 84), p(R + 40, ROW[6] + HH)],
    label: { x: (L + C) / 2, y: ROW[6] + 100, anchor: 'middle' },
  },
  {
    from: 'CLOSING', to: 'CLOSED-END',
    points: [p(C + HW, ROW[5] + 10), p(R - 50, ROW[5] + 10), p(R - 50, ROW[6] - HH)],
    label: { x: R - 56, y: ROW[5] + 50, anchor: 'end' },
  },
  {
    from: 'SYN-RECEIVED', to: 'CLOSED',
    points: [p(L - HW, ROW[2]), p(56, ROW[2]), p(56, ROW[0]), p(C - HW, ROW[0])],
    label: { x: (56 + C - HW) / 2, y: ROW[0] - 9, anchor: 'middle' },
  },
  {
    from: 'SYN-SENT', to: 'CLOSED',
    points: [p(R + HW, ROW[2] + 12), p(R + HW + 92, ROW[2] + 12), p(R + HW + 92, ROW[0] - 30), p(C, ROW[0] - 30), p(C, ROW[0] - HH)],
    label: { x: (C + R) / 2 + 40, y: ROW[0] - 38, anchor: 'middle' },
  },
  {
    from: 'TIME-WAIT', to: 'CLOSED-END',
    points: [p(C + HW, ROW[6] + 14), p(R - HW, ROW[6] + 14)],
    label: { x: (C + R) / 2, y: ROW[6] + 32, anchor: 'middle' },
  },
];

/** States a connection is in before it is synchronized: a failed open ends in the top CLOSED
 *  box, everything else in the bottom one. */
const OPENING: ReadonlySet<TcpStateName> = new Set(['CLOSED', 'LISTEN', 'SYN-SENT', 'SYN-RECEIVED']);

/** The box a transition leaves from and the one it arrives at. */
export function boxesOf(from: TcpStateName, to: TcpStateName): { from: BoxId; to: BoxId } {
  return { from: from, to: to === 'CLOSED' && !OPENING.has(from) ? 'CLOSED-END' : to };
}

/** Where a transition is drawn and whether Figure 5 has it. */
export interface EdgeRoute {
  readonly from: BoxId;
  readonly to: BoxId;
  readonly points: readonly Point[];
  /** The figure's edge this transition is, or undefined for one Linux takes that it lacks. */
  readonly figure: FigureEdge | undefined;
  /** Where a label for a transition outside the figure goes. */
  readonly labelAt: Point & { anchor: EdgeLabel['anchor'] };
  /** Identifies the route: two transitions with the same key are drawn side by side. */
  readonly key: string;
}

/**
 * The route of one transition. A pair of states the figure joins, with a cause it stands for
 * (or no cause known, as for the kernel seen through ss), is the figure's edge; anything else
 * is one of Linux's routes above, or a straight line between the two boxes.
 */
export function routeOf(from: TcpStateName, to: TcpStateName, cause?: string): EdgeRoute {
  const boxes = boxesOf(from, to);
  const edge = FIGURE_EDGES.find((e) => e.from === boxes.from && e.to === boxes.to);
  if (edge && (cause === undefined || edge.causes === undefined || edge.causes.includes(cause))) {
    const mid = pointAlong(edge.points, 0.5);
    return { ...boxes, points: edge.points, figure: edge, labelAt: { ...mid, anchor: 'middle' }, key: `${boxes.from}>${boxes.to}` };
  }
  const linux = LINUX_ROUTES.find((r) => r.from === boxes.from && r.to === boxes.to);
  if (linux) return { ...boxes, points: linux.points, figure: undefined, labelAt: linux.label, key: `${boxes.from}>${boxes.to}!` };
  const a = stateBox(boxes.from);
  const b = stateBox(boxes.to);
  const points = [clipToBox(a, b), clipToBox(b, a)];
  const mid = pointAlong(points, 0.5);
  return { ...boxes, points, figure: undefined, labelAt: { x: mid.x + 8, y: mid.y - 8, anchor: 'start' }, key: `${boxes.from}>${boxes.to}!` };
}

/** Where the line from box `a`'s centre towards `b`'s leaves `a`. */
function clipToBox(a: StateBox, b: StateBox): Point {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const t = Math.min(dx === 0 ? Infinity : HW / Math.abs(dx), dy === 0 ? Infinity : HH / Math.abs(dy));
  return p(a.x + dx * t, a.y + dy * t);
}

/** The point at `fraction` of a polyline's length, and the direction of travel there. */
export function pointAlong(points: readonly Point[], fraction: number): Point & { dx: number; dy: number } {
  const lengths = points.slice(1).map((q, i) => Math.hypot(q.x - points[i].x, q.y - points[i].y));
  let rest = lengths.reduce((s, l) => s + l, 0) * fraction;
  for (let i = 0; i < lengths.length; i++) {
    const a = points[i];
    const b = points[i + 1];
    if (rest <= lengths[i] || i === lengths.length - 1) {
      const f = lengths[i] === 0 ? 0 : Math.min(1, rest / lengths[i]);
      return { x: a.x + (b.x - a.x) * f, y: a.y + (b.y - a.y) * f, dx: (b.x - a.x) / (lengths[i] || 1), dy: (b.y - a.y) / (lengths[i] || 1) };
    }
    rest -= lengths[i];
  }
  return { ...points[0], dx: 1, dy: 0 };
}

/** The same polyline moved `d` pixels to the left of its direction of travel (mitred joins). */
export function offsetPolyline(points: readonly Point[], d: number): Point[] {
  if (d === 0 || points.length < 2) return [...points];
  const normals = points.slice(1).map((q, i) => {
    const len = Math.hypot(q.x - points[i].x, q.y - points[i].y) || 1;
    return { x: (q.y - points[i].y) / len, y: -(q.x - points[i].x) / len };
  });
  return points.map((pt, i) => {
    if (i === 0) return p(pt.x + normals[0].x * d, pt.y + normals[0].y * d);
    if (i === points.length - 1) return p(pt.x + normals[i - 1].x * d, pt.y + normals[i - 1].y * d);
    const n1 = normals[i - 1];
    const n2 = normals[i];
    const mx = n1.x + n2.x;
    const my = n1.y + n2.y;
    const dot = mx * n1.x + my * n1.y || 1;
    return p(pt.x + (mx * d) / dot, pt.y + (my * d) / dot);
  });
}

/** An SVG path through `points` with rounded corners of radius `r`. */
export function roundedPath(points: readonly Point[], r = 12): string {
  const f = (n: number): string => String(Math.round(n * 10) / 10);
  let d = `M ${f(points[0].x)} ${f(points[0].y)}`;
  for (let i = 1; i < points.length - 1; i++) {
    const a = points[i - 1];
    const b = points[i];
    const c = points[i + 1];
    const l1 = Math.hypot(b.x - a.x, b.y - a.y) || 1;
    const l2 = Math.hypot(c.x - b.x, c.y - b.y) || 1;
    const k = Math.min(r, l1 / 2, l2 / 2);
    d += ` L ${f(b.x - ((b.x - a.x) / l1) * k)} ${f(b.y - ((b.y - a.y) / l1) * k)} Q ${f(b.x)} ${f(b.y)} ${f(b.x + ((c.x - b.x) / l2) * k)} ${f(b.y + ((c.y - b.y) / l2) * k)}`;
  }
  const last = points[points.length - 1];
  return `${d} L ${f(last.x)} ${f(last.y)}`;
}

/**
 * The likeliest way through Figure 5 (with note 2's edge) from one state to another, as the
 * states passed (the cheapest by each edge's cost); undefined when there is none. How the
 * kernel's path, seen through polls of ss that miss states lasting less than a poll, is
 * completed between two states it was seen in. Ties go to the edge listed first.
 */
export function figurePath(from: TcpStateName, to: TcpStateName): TcpStateName[] | undefined {
  if (from === to) return [from];
  const cost = new Map<TcpStateName, number>([[from, 0]]);
  const previous = new Map<TcpStateName, TcpStateName>();
  const done = new Set<TcpStateName>();
  for (;;) {
    let here: TcpStateName | undefined;
    for (const [state, c] of cost) if (!done.has(state) && (here === undefined || c < cost.get(here)!)) here = state;
    if (here === undefined) return undefined;
    if (here === to) break;
    done.add(here);
    // A connection that reached CLOSED is over: no way leads on through it.
    if (here === 'CLOSED' && here !== from) continue;
    for (const e of FIGURE_EDGES) {
      const a = stateBox(e.from).state;
      const b = stateBox(e.to).state;
      if (a !== here || done.has(b)) continue;
      const c = cost.get(here)! + (e.cost ?? 1);
      if (c < (cost.get(b) ?? Infinity)) {
        cost.set(b, c);
        previous.set(b, here);
      }
    }
  }
  const path: TcpStateName[] = [to];
  for (let s = to; s !== from; ) {
    s = previous.get(s)!;
    path.unshift(s);
  }
  return path;
}
