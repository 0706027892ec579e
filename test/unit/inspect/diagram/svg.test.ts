// The SVG helpers: escaping that no input can break, round ticks, readable units.
import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatOffset, niceDomain, ticks, timeTickFormat } from '../../../../src/inspect/diagram/scale.js';
import { el, escapeXml, svgDocument, text, wrapText } from '../../../../src/inspect/diagram/svg.js';
import { elements, parseSvg, textOf } from './svg-check.js';

describe('SVG helpers', () => {
  it('escapes markup and drops what XML 1.0 forbids, keeping the rest of the text', () => {
    const hostile = `<a href="x">&amp;'\u0000\u0007\ud800 ok ✓ \u{1F600}`;
    expect(escapeXml(hostile)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;amp;&apos; ok ✓ \u{1F600}');
    const doc = parseSvg(svgDocument({ width: 10, height: 10, title: hostile, body: text(1, 2, hostile, { 'data-x': hostile }) + el('g', {}, '') }));
    expect(elements(doc, 'text').map(textOf)).toEqual([`<a href="x">&amp;' ok ✓ \u{1F600}`]);
    expect(elements(doc, 'title').map(textOf)).toEqual([`<a href="x">&amp;' ok ✓ \u{1F600}`]);
  });

  it('picks round ticks and units', () => {
    expect(ticks(0, 1200, 6)).toEqual([0, 200, 400, 600, 800, 1000, 1200]);
    expect(ticks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceDomain(0, 118_000, 8)).toEqual([0, 120_000]);
    expect(formatBytes(0)).toBe('0');
    expect(formatBytes(40_000)).toBe('40 kB');
    expect(formatBytes(1_500_000)).toBe('1.5 MB');
    expect(timeTickFormat(1000)(250)).toBe('250 ms');
    expect(timeTickFormat(60_000)(30_000)).toBe('30 s');
    expect(formatDuration(60_000)).toBe('60 s');
    expect(formatDuration(2_210)).toBe('2.21 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatOffset(184)).toBe('+0.184 s');
  });

  it('wraps text to a width', () => {
    const lines = wrapText('tcplab closes first: TIME-WAIT for exactly 2MSL; a retransmitted FIN is re-ACKed and restarts it', 300, 12.5);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.join(' ')).toBe('tcplab closes first: TIME-WAIT for exactly 2MSL; a retransmitted FIN is re-ACKed and restarts it');
  });
});
