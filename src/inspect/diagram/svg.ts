// Hand-built SVG: escaping, elements as strings, the document around them and the palette the
// pictures share. Every picture is a pure function from data to one of these strings.

/** Escapes text and attribute values for XML (the five predefined entities), and drops the
 *  characters XML 1.0 forbids, so whatever a trace or capture holds cannot break the file. */
export function escapeXml(value: string): string {
  return (
    value
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

/** A number short enough for a coordinate: two decimals at most, no trailing zeros. */
export function num(n: number): string {
  if (!Number.isFinite(n)) return '0';
  const r = Math.round(n * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

export type Attrs = Readonly<Record<string, string | number | undefined | false>>;

function attrText(attrs: Attrs): string {
  let out = '';
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    out += ` ${name}="${typeof value === 'number' ? num(value) : escapeXml(value)}"`;
  }
  return out;
}

/** An element; `children` are already SVG (use {@link text} for character data). */
export function el(tag: string, attrs: Attrs = {}, ...children: readonly string[]): string {
  const inner = children.join('');
  return inner === '' ? `<${tag}${attrText(attrs)}/>` : `<${tag}${attrText(attrs)}>${inner}</${tag}>`;
}

/** A `<text>` element holding `content`, escaped. */
export function text(x: number, y: number, content: string, attrs: Attrs = {}): string {
  return el('text', { x, y, ...attrs }, escapeXml(content));
}

/** A `<text>` made of runs with their own attributes (`<tspan>`s), each escaped. */
export function richText(x: number, y: number, runs: readonly { readonly text: string; readonly attrs?: Attrs }[], attrs: Attrs = {}): string {
  return el('text', { x, y, ...attrs }, ...runs.map((r) => el('tspan', r.attrs ?? {}, escapeXml(r.text))));
}

/** A `<title>`: what a browser shows on hover, and what a screen reader reads. */
export function tooltip(content: string): string {
  return el('title', {}, escapeXml(content));
}

/** Width of `s` in pixels at `size`, estimated (SVG has no text metrics before rendering) for
 *  the widest common UI font (DejaVu Sans; system-ui fonts are narrower): used to place labels
 *  so they do not collide, and to wrap lines. */
export function textWidth(s: string, size: number): number {
  let em = 0;
  for (const ch of s) em += /[mwMW]/.test(ch) ? 0.9 : /[A-Z0-9=]/.test(ch) ? 0.7 : /[\s.,:;'|!ilj()[\]/]/.test(ch) ? 0.33 : 0.6;
  return em * size;
}

/** Splits `s` into lines no wider than `width` at `size`; a word too long for a line (a path)
 *  is cut where it must be. */
export function wrapText(s: string, width: number, size: number): string[] {
  const lines: string[] = [];
  let current = '';
  const words = s.split(/\s+/).filter((w) => w !== '').flatMap((w) => {
    const pieces: string[] = [];
    let piece = '';
    for (const ch of w) {
      if (piece !== '' && textWidth(piece + ch, size) > width) {
        pieces.push(piece);
        piece = '';
      }
      piece += ch;
    }
    return [...pieces, piece];
  });
  for (const word of words) {
    const candidate = current === '' ? word : `${current} ${word}`;
    if (current !== '' && textWidth(candidate, size) > width) {
      lines.push(current);
      current = word;
    } else {
      current = candidate;
    }
  }
  if (current !== '') lines.push(current);
  return lines;
}

/** The fonts every picture uses: the reader's own UI font. */
export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
export const MONO = 'ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace';

/** A restrained palette: slate for the frame, two path colours, and accents for events. */
export const COLOURS = {
  ink: '#1e293b',
  text: '#334155',
  muted: '#64748b',
  faint: '#94a3b8',
  rule: '#cbd5e1',
  grid: '#e2e8f0',
  paper: '#ffffff',
  panel: '#f8fafc',
  /** tcplab's path, and a first series. */
  tcplab: '#2563eb',
  tcplabTint: '#eff6ff',
  /** The peer's (the kernel's) path, and a second series. */
  peer: '#ea580c',
  peerTint: '#fff7ed',
  /** Retransmissions, resets, losses. */
  alarm: '#dc2626',
  /** ACKs and what they acknowledge. */
  ack: '#16a34a',
  /** The receive window. */
  window: '#ca8a04',
  /** SACKed ranges. */
  sack: '#7c3aed',
} as const;

export interface SvgDocument {
  readonly width: number;
  readonly height: number;
  /** The document's `<title>`: what the picture shows, in one line. */
  readonly title: string;
  /** A longer description for readers that cannot see it. */
  readonly description?: string;
  /** CSS for the document (class rules). */
  readonly style?: string;
  /** `<defs>` content: markers, gradients. */
  readonly defs?: string;
  readonly body: string;
}

/** A standalone SVG file: XML declaration, size in pixels, a viewBox so it scales, a white
 *  background (a dark browser theme must not swallow the lines). */
export function svgDocument(doc: SvgDocument): string {
  const style = `svg{font-family:${FONT};}${doc.style ?? ''}`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(doc.width)}" height="${num(doc.height)}" viewBox="0 0 ${num(doc.width)} ${num(doc.height)}" role="img" font-family="${escapeXml(FONT)}">`,
    el('title', {}, escapeXml(doc.title)),
    doc.description ? el('desc', {}, escapeXml(doc.description)) : '',
    el('style', {}, escapeXml(style)),
    doc.defs ? el('defs', {}, doc.defs) : '',
    el('rect', { x: 0, y: 0, width: doc.width, height: doc.height, fill: COLOURS.paper }),
    doc.body,
    '</svg>\n',
  ].join('');
}

/** An arrowhead marker (`marker-end: url(#id)`), drawn in `colour`. */
export function arrowMarker(id: string, colour: string, size = 8): string {
  return el(
    'marker',
    { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: size, markerHeight: size, orient: 'auto-start-reverse', markerUnits: 'userSpaceOnUse' },
    el('path', { d: 'M 0 0.5 L 10 5 L 0 9.5 L 2.6 5 Z', fill: colour }),
  );
}
