// The stack's ring of recent events (what `tcplab trace` reads): bounded, oldest first,
// followable; and the packets the stack itself drops are in it with their reason and ends.
import { describe, expect, it } from 'vitest';
import { EventRing } from '../../../src/stack/event-ring.js';
import { Stack } from '../../../src/stack/stack.js';
import { IPPROTO_TCP, TCP_ACK, TCP_SYN, buildIpv4Packet, buildTcpSegment, parseIpAddress } from '../../../src/wire/index.js';
import { traceRecord } from '../../../src/inspect/trace-format.js';

const KERNEL4 = parseIpAddress('10.77.0.1') as number;
const US4 = parseIpAddress('10.77.0.2') as number;

const at = (n: number) => ({ type: 'drop' as const, reason: 'paws' as const, at: n });

describe('EventRing', () => {
  it('keeps the last `capacity` events, oldest first, and counts them all', () => {
    const ring = new EventRing(3);
    for (let i = 1; i <= 5; i++) ring.record(at(i), undefined, undefined);
    expect(ring.recent().map((e) => e.event.at)).toEqual([3, 4, 5]);
    expect(ring.recent(2).map((e) => e.event.at)).toEqual([4, 5]);
    expect(ring.recent(0)).toEqual([]);
    expect(ring.total).toBe(5);
  });

  it('tells a follower of each new event until it stops', () => {
    const ring = new EventRing(2);
    const seen: number[] = [];
    const stop = ring.subscribe((e) => seen.push(e.at));
    ring.record(at(1), undefined, undefined);
    stop();
    ring.record(at(2), undefined, undefined);
    expect(seen).toEqual([1]);
  });

  it('refuses a capacity that is not a whole number; 0 keeps nothing', () => {
    expect(() => new EventRing(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new EventRing(1.5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    const none = new EventRing(0);
    none.record(at(1), undefined, undefined);
    expect([none.recent(), none.total]).toEqual([[], 1]);
  });

  it('a stack with capacity 0 traces nothing and hands its events only to the events option', () => {
    const seen: string[] = [];
    const s = new Stack({ addresses: ['10.77.0.2'], eventRingCapacity: 0, events: (e) => seen.push(e.type) });
    s.connect({ host: '10.77.0.1', port: 80 }, 0);
    expect(seen).toEqual(['state']);
    expect(s.events.total).toBe(0);
  });
});

describe("the stack's own drops in the trace", () => {
  const segment = (flags: number, dst: number) =>
    buildIpv4Packet({ src: KERNEL4, dst, protocol: IPPROTO_TCP, ttl: 64 }, buildTcpSegment({ srcPort: 40000, dstPort: 80, seq: 7, ack: flags & TCP_ACK ? 1 : 0, flags, window: 1000 }, KERNEL4, dst));

  it('a TCP segment with a bad checksum: reason and parser, with the ends its IP header names', () => {
    const s = new Stack({ addresses: ['10.77.0.2'] });
    const packet = segment(TCP_SYN, US4);
    packet[30] ^= 0x55; // inside the TCP header: the checksum no longer verifies
    s.input(packet, 12);
    expect(s.events.recent().map(traceRecord)).toEqual([{ type: 'drop', reason: 'bad-checksum', layer: 'tcp', at: 12, local: '10.77.0.2:0', remote: '10.77.0.1:0' }]);
    expect(s.counters.get('TcplabDropTcpBadChecksum')).toBe(1);
  });

  it('a packet for an address the stack does not have', () => {
    const s = new Stack({ addresses: ['10.77.0.2'] });
    s.input(segment(TCP_SYN, parseIpAddress('10.77.0.9') as number), 5);
    expect(s.events.recent().map(traceRecord)).toEqual([{ type: 'drop', reason: 'not-our-address', seq: 7, len: 1, at: 5, local: '10.77.0.9:80', remote: '10.77.0.1:40000' }]);
  });

  it('a SYN meeting a full accept queue, with its 4-tuple', () => {
    const s = new Stack({ addresses: ['10.77.0.2'] });
    s.listen({ port: 80, backlog: 0 });
    s.input(segment(TCP_SYN, US4), 1);
    const synAck = s.takeOutput()[0]!;
    // Complete the first handshake by hand: the accept queue (backlog 0 admits one) fills.
    const ack = buildIpv4Packet(
      { src: KERNEL4, dst: US4, protocol: IPPROTO_TCP, ttl: 64 },
      buildTcpSegment({ srcPort: 40000, dstPort: 80, seq: 8, ack: ((new DataView(synAck.buffer, synAck.byteOffset).getUint32(24) + 1) >>> 0), flags: TCP_ACK, window: 1000 }, KERNEL4, US4),
    );
    s.input(ack, 2);
    const second = buildIpv4Packet({ src: KERNEL4, dst: US4, protocol: IPPROTO_TCP, ttl: 64 }, buildTcpSegment({ srcPort: 40001, dstPort: 80, seq: 100, flags: TCP_SYN, window: 1000 }, KERNEL4, US4));
    s.input(second, 3);
    const drops = s.events.recent().map(traceRecord).filter((r) => r.type === 'drop');
    expect(drops).toEqual([{ type: 'drop', reason: 'accept-queue-full', seq: 100, len: 1, at: 3, local: '10.77.0.2:80', remote: '10.77.0.1:40001' }]);
    expect(s.counters.get('TcpExtListenOverflows')).toBe(1);
  });
});
