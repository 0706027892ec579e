// ss's column layout (iproute2 misc/ss.c, render_calc_width and render): every field is a
// token; a column is as wide as its longest token plus its left delimiter (except the first
// column shown); left-aligned columns pad after the token, right-aligned ones before it. When
// the output is not a terminal that is all ("compact output"); on a terminal of a known width
// the spare room is shared out between the columns of each line, and columns that do not fit
// move to the next line.

export interface Column {
  readonly header: string;
  readonly align: 'left' | 'right';
  /** Printed before the token unless it starts the line. */
  readonly ldelim: string;
}

/**
 * Lays out `lines` (one token per column, the header line included when wanted) as ss does.
 * `screenWidth` undefined: compact output, as ss prints into a pipe.
 */
export function renderColumns(columns: readonly Column[], lines: readonly (readonly string[])[], screenWidth?: number): string {
  const widths = columnWidths(columns, lines, screenWidth);
  let out = '';
  for (const tokens of lines) {
    let started = false;
    for (let i = 0; i < columns.length; i++) {
      const c = columns[i];
      const token = tokens[i] ?? '';
      const width = widths[i];
      let printed = 0;
      if (started) {
        out += c.ldelim;
        printed = c.ldelim.length;
      }
      started = true;
      if (width > 0 && c.align === 'right') {
        const s = width - token.length - printed;
        if (s > 0) {
          out += ' '.repeat(s);
          printed += s;
        }
      }
      out += token;
      printed += token.length;
      if (width > 0 && c.align === 'left') {
        const s = width - printed;
        if (s > 0) out += ' '.repeat(s);
      }
    }
    out += '\n';
  }
  return out;
}

function columnWidths(columns: readonly Column[], lines: readonly (readonly string[])[], screenWidth: number | undefined): number[] {
  const screen = screenWidth ?? Number.MAX_SAFE_INTEGER;
  // First pass: the longest token, plus the left delimiter for every column but the first.
  const widths: number[] = [];
  let first = true;
  for (let i = 0; i < columns.length; i++) {
    let maxLen = 0;
    for (const tokens of lines) maxLen = Math.max(maxLen, (tokens[i] ?? '').length);
    let width = !first && maxLen > 0 ? maxLen + columns[i].ldelim.length : maxLen;
    width = Math.min(width, screen);
    if (width > 0) first = false;
    widths.push(width);
  }
  if (screenWidth === undefined) return widths;
  // Second pass: break lines where the columns exceed the screen, and spread the spare room
  // evenly over the columns of each line (the remainder to the rightmost ones).
  let eol = -1;
  let len = 0;
  let lineCols = 0;
  for (let c = 0; c < columns.length; c++) {
    if (widths[c] === 0) continue;
    lineCols++;
    len += widths[c];
    const last = !widths.slice(c + 1).some((w) => w > 0);
    if (!last && len < screen) continue;
    if (len !== screen) {
      if (len > screen) {
        len -= widths[c];
        c--;
        lineCols--;
      }
      const pad = screen - len;
      const spacing = lineCols > 0 ? Math.floor(pad / lineCols) : 0;
      let rem = lineCols > 0 ? pad % lineCols : 0;
      for (let t = c; t > eol; t--) {
        if (widths[t] === 0) continue;
        widths[t] += spacing;
        if (rem > 0) {
          widths[t]++;
          rem--;
        }
      }
    }
    eol = c;
    len = 0;
    lineCols = 0;
  }
  return widths;
}
