// C's printf("%g"): what ss uses for rtt, rto and the other fractional fields of `ss -i`.

/**
 * `%g` with the default precision of 6 (C11 §7.21.6.1): with X the decimal exponent of the
 * value rounded to 6 significant digits, `%f` with 5 − X decimals when −4 ≤ X < 6, `%e` with 5
 * otherwise; trailing zeros (and a trailing point) removed.
 */
export function printfG(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa, exp] = value.toExponential(5).split('e');
  const x = Number(exp);
  if (x < -4 || x >= 6) {
    const digits = Math.abs(x).toString().padStart(2, '0');
    return `${stripZeros(mantissa)}e${x < 0 ? '-' : '+'}${digits}`;
  }
  return stripZeros(value.toFixed(5 - x));
}

function stripZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}
