// Scales for the plots: a linear map from data to pixels, round tick values (1, 2 or 5 times a
// power of ten), and the units a reader expects on them (seconds or milliseconds, bytes with SI
// prefixes).

export interface LinearScale {
  (value: number): number;
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
}

/** Maps [d0, d1] onto [r0, r1]; an empty domain maps to the middle of the range. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): LinearScale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  const f = (value: number): number => (span === 0 ? (r0 + r1) / 2 : r0 + ((value - d0) / span) * (r1 - r0));
  return Object.assign(f, { domain, range });
}

/** The tick step for about `count` ticks over `span`: 1, 2 or 5 × 10^k. */
export function tickStep(span: number, count: number): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m >= 7 ? 10 : m >= 3 ? 5 : m >= 1.5 ? 2 : 1) * power;
}

/** Round values from `min` to `max` (inclusive, within rounding) about `count` of them. */
export function ticks(min: number, max: number, count: number): number[] {
  const step = tickStep(max - min, count);
  const out: number[] = [];
  const first = Math.ceil(min / step - 1e-9) * step;
  for (let v = first; v <= max + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  return out;
}

/** [min, max] widened to tick multiples, so the axis starts and ends on a labelled value. */
export function niceDomain(min: number, max: number, count: number): [number, number] {
  if (min === max) return min === 0 ? [0, 1] : [Math.min(0, min), Math.max(0, max) * 1.1 || 1];
  const step = tickStep(max - min, count);
  return [Math.floor(min / step + 1e-9) * step, Math.ceil(max / step - 1e-9) * step];
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** Milliseconds as a tick label with the unit that suits the whole axis (`span` ms). */
export function timeTickFormat(span: number): (ms: number) => string {
  if (span < 5) return (ms) => `${trimZeros((ms * 1000).toFixed(0))} µs`;
  if (span < 2000) return (ms) => `${trimZeros(ms.toFixed(span < 50 ? 1 : 0))} ms`;
  return (ms) => `${trimZeros((ms / 1000).toFixed(span < 20_000 ? 2 : 1))} s`;
}

/** A moment, relative to the start of a picture: `+0.184 s`, `+62.1 s`. */
export function formatOffset(ms: number): string {
  const s = ms / 1000;
  return `+${Math.abs(s) < 10 ? s.toFixed(3) : Math.abs(s) < 100 ? s.toFixed(2) : s.toFixed(1)} s`;
}

/** A duration: `850 ms`, `2.21 s`, `60 s` (TIME-WAIT reads as Linux's constant), `2 min 3 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1) return `${trimZeros(ms.toFixed(2))} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 100_000) return `${trimZeros((ms / 1000).toFixed(ms < 10_000 ? 2 : 1))} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Bytes with SI prefixes (powers of 1000), as tick labels want them: `0`, `40 kB`, `1.5 MB`. */
export function formatBytes(n: number): string {
  const a = Math.abs(n);
  if (a === 0) return '0';
  if (a < 1000) return `${trimZeros(n.toFixed(0))} B`;
  if (a < 1e6) return `${trimZeros((n / 1e3).toFixed(a < 1e4 ? 2 : 1))} kB`;
  if (a < 1e9) return `${trimZeros((n / 1e6).toFixed(a < 1e7 ? 2 : 1))} MB`;
  return `${trimZeros((n / 1e9).toFixed(2))} GB`;
}
