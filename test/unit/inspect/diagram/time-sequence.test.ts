// The time-sequence graph from a capture (test/fixtures/diagram/transfer.pcap: a bulk transfer
// between two tcplab stacks with losses, recorded headers-only at the sender). The trace of
// the same run says independently how many segments were retransmitted.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conversations, tcpSegments, type CapturedPacket } from '../../../../src/inspect/diagram/segments.js';
import { timeSequenceData, timeSequenceSvg } from '../../../../src/inspect/diagram/time-sequence.js';
import { parseTrace } from '../../../../src/inspect/diagram/trace-lines.js';
import { readPcap } from '../../../../src/link/pcap-reader.js';
import { IPPROTO_TCP, TCP_ACK, TCP_FIN, TCP_SYN, buildIpv4Packet, buildTcpSegment } from '../../../../src/wire/index.js';
import { elements, parseSvg, textOf, withClass } from './svg-check.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/diagram');

function capture(): CapturedPacket[] {
  const pcap = readPcap(readFileSync(join(FIXTURES, 'transfer.pcap')));
  return pcap.records.map((r) => ({ at: Number(r.timestampNs) / 1e6, ip: r.ip!, wireLength: r.originalLength }));
}

describe('the time-sequence graph', () => {
  const { segments, skipped } = tcpSegments(capture());
  const [c] = conversations(segments);
  const trace = parseTrace(readFileSync(join(FIXTURES, 'transfer.trace.jsonl'), 'utf8'));
  const sender = c.a;

  it('reads every segment of a headers-only capture with its length on the wire', () => {
    expect(skipped).toBe(0);
    expect(conversations(segments)).toHaveLength(1);
    const data = segments.filter((s) => s.src === sender && s.length > 0);
    // 120 000 bytes were written; a retransmission sends some again.
    const d = timeSequenceData(c, sender);
    expect(d.bars.filter((b) => !b.retransmission).reduce((n, b) => n + b.to - b.from, 0)).toBe(120_000);
    expect(data.length).toBe(d.bars.length);
    expect(d.windowShift).toBe(7);
  });

  it('draws one bar per data segment, the retransmissions marked, the ACK and window lines, SACKed ranges, SYN and FIN', () => {
    const doc = parseSvg(timeSequenceSvg({ conversation: c, sender }));
    const dataSegments = segments.filter((s) => s.src === sender && s.length > 0).length;
    const bars = withClass(doc, 'path', 'data');
    expect(bars).toHaveLength(dataSegments);
    // The sender's engine reported each retransmission in its trace: the graph finds the same
    // number in the capture alone (data sent below the highest sequence already sent).
    const retransmitted = trace.lines.filter((l) => l.type === 'retransmission' && l.local === sender).length;
    expect(retransmitted).toBeGreaterThan(2);
    expect(withClass(doc, 'path', 'data', 'retransmission')).toHaveLength(retransmitted);
    for (const r of withClass(doc, 'path', 'retransmission')) expect(r.getAttribute('stroke')).not.toBe(bars.find((b) => !b.getAttribute('class')!.includes('retransmission'))!.getAttribute('stroke'));
    expect(withClass(doc, 'path', 'ack-line')).toHaveLength(1);
    expect(withClass(doc, 'path', 'window-line')).toHaveLength(1);
    expect(withClass(doc, 'rect', 'sack').length).toBeGreaterThan(0);
    expect(withClass(doc, 'g', 'mark', 'syn')).toHaveLength(1);
    expect(withClass(doc, 'g', 'mark', 'fin')).toHaveLength(1);
    const texts = elements(doc, 'text').map(textOf);
    expect(texts.some((t) => t.startsWith(`${dataSegments} data segments`) && t.includes(`${retransmitted} retransmitted`))).toBe(true);
    // Axes with units.
    expect(texts).toContain('100 ms');
    expect(texts).toContain('100 kB');
  });

  it('draws the other direction and refuses an end that is not the connection’s', () => {
    const doc = parseSvg(timeSequenceSvg({ conversation: c, sender: c.b }));
    expect(withClass(doc, 'path', 'data')).toHaveLength(0);
    expect(() => timeSequenceSvg({ conversation: c, sender: '10.0.0.9:1' })).toThrow(/not an end/);
  });

  it('counts SYN and FIN in sequence space and takes a segment below the highest sent as a retransmission', () => {
    const A = 0x0a000001;
    const B = 0x0a000002;
    const seg = (at: number, from: number, to: number, flags: number, seq: number, ack: number, len: number): CapturedPacket => ({
      at,
      ip: buildIpv4Packet({ src: from, dst: to, protocol: IPPROTO_TCP }, buildTcpSegment({ srcPort: from === A ? 1000 : 80, dstPort: from === A ? 80 : 1000, seq, ack, flags, window: 1000, payload: new Uint8Array(len) }, from, to)),
    });
    const packets = [
      seg(0, A, B, TCP_SYN, 99, 0, 0),
      seg(10, B, A, TCP_SYN | TCP_ACK, 500, 100, 0),
      seg(20, A, B, TCP_ACK, 100, 501, 100),
      seg(21, A, B, TCP_ACK, 200, 501, 100),
      seg(300, A, B, TCP_ACK, 100, 501, 100),
      seg(310, B, A, TCP_ACK, 501, 300, 0),
      seg(320, A, B, TCP_ACK | TCP_FIN, 300, 501, 0),
    ];
    const [conv] = conversations(tcpSegments(packets).segments);
    const d = timeSequenceData(conv, '10.0.0.1:1000');
    expect(d.bars.map((b) => [b.from, b.to, b.retransmission])).toEqual([
      [1, 101, false],
      [101, 201, false],
      [1, 101, true],
    ]);
    expect(d.marks.map((m) => [m.what, m.seq])).toEqual([
      ['SYN', 0],
      ['FIN', 201],
    ]);
    // No window scale option in either SYN: the windows are taken as they are.
    expect(d.windowShift).toBeUndefined();
    expect(d.acks.map((a) => [a.ack, a.edge])).toEqual([
      [1, 1001],
      [201, 1201],
    ]);
  });
});
