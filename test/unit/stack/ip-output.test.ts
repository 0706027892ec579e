// The one-pass send path (tcpPacket) against the two-step builders it replaces, and the slab
// its arrays come from.
import { describe, expect, it } from 'vitest';
import { ipPacket, tcpPacket } from '../../../src/stack/ip-output.js';
import { parseIpAddress } from '../../../src/wire/address.js';
import { IPPROTO_TCP } from '../../../src/wire/ip-protocol.js';
import { parsePacket } from '../../../src/wire/packet.js';
import { takeBytes } from '../../../src/wire/slab.js';
import { TCP_ACK, TCP_PSH, buildTcpSegment, type TcpSegmentFields } from '../../../src/wire/tcp.js';
import { linuxTcpOptions } from '../../../src/wire/tcp-options.js';

const payload = Uint8Array.from({ length: 1448 }, (_, i) => (i * 31 + 7) & 0xff);
const fields: TcpSegmentFields = {
  srcPort: 5201,
  dstPort: 40000,
  seq: 0xfffffff0,
  ack: 12345,
  flags: TCP_ACK | TCP_PSH,
  window: 501,
  options: linuxTcpOptions({ tsVal: 1, tsEcr: 2, sackBlocks: [{ left: 10, right: 20 }] }),
  payload,
};

describe('tcpPacket', () => {
  for (const [family, src, dst] of [
    ['IPv4', '10.77.0.2', '10.77.0.1'],
    ['IPv6', 'fd00:77::2', 'fd00:77::1'],
  ] as const) {
    it(`${family}: the same bytes as ipPacket(buildTcpSegment(...)), and a valid packet`, () => {
      const s = parseIpAddress(src)!;
      const d = parseIpAddress(dst)!;
      const expected = ipPacket(s, d, IPPROTO_TCP, buildTcpSegment(fields, s, d));
      const got = tcpPacket(s, d, fields);
      expect(Buffer.from(got).equals(Buffer.from(expected))).toBe(true);
      const parsed = parsePacket(got);
      expect(parsed.ok && parsed.l4.protocol === IPPROTO_TCP && parsed.l4.payload.length).toBe(1448);
    });
  }

  it('a segment without options or data', () => {
    const s = parseIpAddress('10.0.0.1')!;
    const d = parseIpAddress('10.0.0.2')!;
    const bare = { srcPort: 1, dstPort: 2, seq: 3, flags: TCP_ACK, window: 4 };
    expect(Buffer.from(tcpPacket(s, d, bare)).equals(Buffer.from(ipPacket(s, d, IPPROTO_TCP, buildTcpSegment(bare, s, d))))).toBe(true);
  });
});

describe('takeBytes', () => {
  it('hands out zeroed, disjoint, 8-byte aligned views, and arrays of their own for large requests', () => {
    const views = Array.from({ length: 2000 }, (_, i) => takeBytes(1 + (i % 1500)));
    for (const v of views) {
      expect(v.every((b) => b === 0)).toBe(true);
      expect(v.byteOffset % 8).toBe(0);
      v.fill(0xab);
    }
    // Writing every view did not touch any other: each still holds only its own fill.
    const byBuffer = new Map<ArrayBufferLike, [number, number][]>();
    for (const v of views) {
      const spans = byBuffer.get(v.buffer) ?? [];
      spans.push([v.byteOffset, v.byteOffset + v.length]);
      byBuffer.set(v.buffer, spans);
    }
    for (const spans of byBuffer.values()) {
      spans.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    }
    const big = takeBytes(65536);
    expect(big.byteOffset).toBe(0);
    expect(big.buffer.byteLength).toBe(65536);
  });
});
