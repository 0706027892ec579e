// cwnd, ssthresh and RTT over time, from the trace of the fixture transfer (fast recoveries, a
// tail loss probe and a retransmission timeout).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { congestionSvg } from '../../../../src/inspect/diagram/congestion.js';
import { parseTrace, traceConnections } from '../../../../src/inspect/diagram/trace-lines.js';
import { elements, parseSvg, textOf, withClass } from './svg-check.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/diagram');

describe('cwnd, ssthresh and RTT', () => {
  const trace = parseTrace(readFileSync(join(FIXTURES, 'transfer.trace.jsonl'), 'utf8'));
  const [sender] = traceConnections(trace.lines);

  it('reads the trace: ssthresh null (JSON for Infinity) before the first loss', () => {
    expect(trace.malformed).toEqual([]);
    const first = sender.lines.find((l) => l.type === 'cwnd');
    expect(first && first.type === 'cwnd' && first.ssthresh).toBe(Infinity);
  });

  it('draws cwnd and ssthresh, each RTT sample, the RTO, every retransmission and the recovery periods', () => {
    const doc = parseSvg(congestionSvg({ events: sender.lines, title: 'transfer' }));
    expect(withClass(doc, 'path', 'cwnd')).toHaveLength(1);
    expect(withClass(doc, 'path', 'ssthresh')).toHaveLength(1);
    expect(withClass(doc, 'path', 'srtt')).toHaveLength(1);
    expect(withClass(doc, 'path', 'rto')).toHaveLength(1);
    expect(withClass(doc, 'circle', 'rtt-sample')).toHaveLength(sender.lines.filter((l) => l.type === 'rtt-sample').length);
    const rtx = sender.lines.filter((l) => l.type === 'retransmission');
    expect(withClass(doc, 'g', 'retransmission')).toHaveLength(rtx.length);
    expect(withClass(doc, 'g', 'retransmission', 'timeout')).toHaveLength(rtx.filter((l) => l.type === 'retransmission' && l.kind === 'timeout').length);
    expect(withClass(doc, 'rect', 'period', 'recovery').length).toBeGreaterThan(0);
    expect(withClass(doc, 'rect', 'period', 'loss').length).toBeGreaterThan(0);
    expect(elements(doc, 'text').map(textOf)).toContain(`${rtx.length} retransmissions  ·  cwnd up to 46.3 kB  ·  RTT 30 ms – 70 ms over ${sender.lines.filter((l) => l.type === 'rtt-sample').length} samples`);
  });

  it('draws an empty picture for a connection without such events', () => {
    const doc = parseSvg(congestionSvg({ events: [] }));
    expect(withClass(doc, 'path', 'cwnd')).toHaveLength(0);
    expect(elements(doc, 'text').map(textOf)).toContain('0 retransmissions  ·  cwnd up to 0  ·  no RTT sample');
  });
});
