import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildTcpSegment,
  decodeTcpOptions,
  linuxTcpOptions,
  parseIpv4,
  parseIpv4Address,
  parseIpv6,
  parseIpv6Address,
  parseTcp,
  TCP_ACK,
  TCP_CWR,
  TCP_ECE,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
  tcpHeaderLength,
  verifyTcpChecksum,
  writeTcpSegment,
  type TcpSegment,
} from '../../../src/wire/index.js';
import { hex } from './hex.js';
import { DATA4, FIN4, RST4, SYN4, SYN6 } from './packets.js';

function ok<T extends { ok: boolean }>(r: T): Extract<T, { ok: true }> {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r)}`);
  return r as Extract<T, { ok: true }>;
}

const A4 = parseIpv4Address('10.200.1.2')!;
const B4 = parseIpv4Address('10.200.2.2')!;
const A6 = parseIpv6Address('fd00:200:1::2')!;
const B6 = parseIpv6Address('fd00:200:2::2')!;

/** The TCP segment of a known IPv4 packet, with the packet's addresses. */
function tcpOf(packet: Uint8Array): { seg: TcpSegment; bytes: Uint8Array; src: number; dst: number } {
  const ip = ok(parseIpv4(packet));
  return { seg: ok(parseTcp(ip.payload)), bytes: ip.payload, src: ip.src, dst: ip.dst };
}

describe('parseTcp on known Linux segments', () => {
  it('a SYN: header fields and the option summary', () => {
    const { seg, bytes } = tcpOf(SYN4);
    expect(seg).toMatchObject({
      protocol: 6,
      srcPort: 45678,
      dstPort: 5201,
      seq: 987654321,
      ack: 0,
      dataOffset: 10,
      reserved: 0,
      flags: TCP_SYN,
      window: 64240,
      checksum: 0x10c5,
      urgentPointer: 0,
      mss: 1460,
      windowScale: 7,
      sackPermitted: true,
      tsVal: 2671516203,
      tsEcr: 0,
      optionsMalformed: false,
    });
    expect(seg.sackBlocks).toEqual([]);
    expect(seg.unknownOptions).toEqual([]);
    expect(seg.options).toEqual(bytes.subarray(20, 40));
    expect(seg.payload.length).toBe(0);
    expect(decodeTcpOptions(seg.options)).toEqual({
      options: [
        { kind: 'mss', mss: 1460 },
        { kind: 'sack-permitted' },
        { kind: 'timestamps', tsVal: 2671516203, tsEcr: 0 },
        { kind: 'nop' },
        { kind: 'window-scale', shift: 7 },
      ],
      malformed: false,
    });
  });

  it('a data segment: PSH|ACK, the aligned timestamp layout, the data', () => {
    const { seg } = tcpOf(DATA4);
    expect(seg.flags).toBe(TCP_PSH | TCP_ACK);
    expect(seg).toMatchObject({ seq: 987654322, ack: 287454021, window: 502, tsVal: 2671516224, tsEcr: 1583218689, mss: undefined, windowScale: undefined, sackPermitted: false });
    expect(new TextDecoder().decode(seg.payload)).toBe('hello tcplab\n');
  });

  it('FIN|ACK and RST|ACK', () => {
    expect(tcpOf(FIN4).seg.flags).toBe(TCP_FIN | TCP_ACK);
    const rst = tcpOf(RST4).seg;
    expect(rst.flags).toBe(TCP_RST | TCP_ACK);
    expect(rst).toMatchObject({ srcPort: 9, seq: 0, window: 0, dataOffset: 5, tsVal: undefined });
    expect(rst.options.length).toBe(0);
  });

  it('verifies checksums with the IPv4 and IPv6 pseudo-headers', () => {
    for (const packet of [SYN4, DATA4, FIN4, RST4]) {
      const { bytes, src, dst } = tcpOf(packet);
      expect(verifyTcpChecksum(bytes, src, dst)).toBe(true);
      expect(verifyTcpChecksum(bytes, dst, src)).toBe(true); // the sum is symmetric in the addresses
      expect(verifyTcpChecksum(bytes, src, dst + 1)).toBe(false);
      const corrupt = bytes.slice();
      corrupt[corrupt.length - 1] ^= 0x40;
      expect(verifyTcpChecksum(corrupt, src, dst)).toBe(false);
    }
    const ip6 = ok(parseIpv6(SYN6));
    expect(verifyTcpChecksum(ip6.payload, ip6.src, ip6.dst)).toBe(true);
    expect(ok(parseTcp(ip6.payload)).mss).toBe(1440);
  });

  it('keeps the reserved bits, and AccECN\'s AE with them', () => {
    const b = tcpOf(SYN4).bytes.slice();
    b[12] |= 0x0f;
    const seg = ok(parseTcp(b));
    expect(seg.reserved).toBe(0x0f);
    expect(seg.dataOffset).toBe(10);
    expect(seg.flags).toBe(TCP_SYN);
  });

  it('all eight control bits', () => {
    const b = tcpOf(RST4).bytes.slice();
    b[13] = 0xff;
    expect(ok(parseTcp(b)).flags).toBe(TCP_FIN | TCP_SYN | TCP_RST | TCP_PSH | TCP_ACK | TCP_URG | TCP_ECE | TCP_CWR);
  });

  describe('refuses', () => {
    const header = tcpOf(RST4).bytes;
    const withDataOffset = (words: number): Uint8Array => {
      const b = header.slice();
      b[12] = (words << 4) | (b[12] & 0x0f);
      return b;
    };
    it('fewer than 20 bytes', () => expect(parseTcp(header.subarray(0, 19))).toEqual({ ok: false, reason: 'truncated', layer: 'tcp' }));
    it('Data Offset below 5', () => {
      for (const words of [0, 1, 4]) expect(parseTcp(withDataOffset(words))).toEqual({ ok: false, reason: 'bad-data-offset', layer: 'tcp' });
    });
    it('Data Offset past the segment', () => {
      expect(parseTcp(withDataOffset(6))).toEqual({ ok: false, reason: 'bad-data-offset', layer: 'tcp' });
      expect(parseTcp(withDataOffset(15))).toEqual({ ok: false, reason: 'bad-data-offset', layer: 'tcp' });
    });
  });
});

describe('TCP builders', () => {
  it('build(parse(bytes)) gives the bytes back, from raw or decoded options', () => {
    for (const packet of [SYN4, DATA4, FIN4, RST4]) {
      const { seg, bytes, src, dst } = tcpOf(packet);
      expect(buildTcpSegment(seg, src, dst)).toEqual(bytes);
      expect(buildTcpSegment({ ...seg, options: decodeTcpOptions(seg.options).options }, src, dst)).toEqual(bytes);
    }
    const ip6 = ok(parseIpv6(SYN6));
    expect(buildTcpSegment(ok(parseTcp(ip6.payload)), ip6.src, ip6.dst)).toEqual(ip6.payload);
  });

  it('parse(build(fields)) gives the fields back', () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    const u16 = fc.integer({ min: 0, max: 0xffff });
    fc.assert(
      fc.property(
        fc.record({
          srcPort: u16,
          dstPort: u16,
          seq: u32,
          ack: u32,
          flags: fc.integer({ min: 0, max: 255 }),
          window: u16,
          urgentPointer: u16,
          reserved: fc.integer({ min: 0, max: 15 }),
        }),
        fc.record({
          mss: fc.option(u16, { nil: undefined }),
          sackPermitted: fc.boolean(),
          tsVal: fc.option(u32, { nil: undefined }),
          tsEcr: u32,
          windowScale: fc.option(fc.integer({ min: 0, max: 14 }), { nil: undefined }),
        }),
        fc.uint8Array({ maxLength: 64 }),
        fc.boolean(),
        (fields, linux, payload, v6) => {
          const [src, dst] = v6 ? [A6, B6] : [A4, B4];
          const bytes = buildTcpSegment({ ...fields, options: linuxTcpOptions(linux), payload }, src, dst);
          expect(verifyTcpChecksum(bytes, src, dst)).toBe(true);
          const seg = ok(parseTcp(bytes));
          expect(seg).toMatchObject(fields);
          expect(seg.payload).toEqual(payload);
          expect(seg.mss).toBe(linux.mss);
          expect(seg.windowScale).toBe(linux.windowScale);
          expect(seg.sackPermitted).toBe(linux.sackPermitted);
          expect(seg.tsVal).toBe(linux.tsVal);
          expect(seg.tsEcr).toBe(linux.tsVal === undefined ? undefined : linux.tsEcr);
          expect(seg.optionsMalformed).toBe(false);
        },
      ),
    );
  });

  it('writes at an offset inside a larger buffer and returns the length', () => {
    const buf = new Uint8Array(100).fill(0xcc);
    const n = writeTcpSegment(buf, 20, { srcPort: 1, dstPort: 2, seq: 3, flags: TCP_SYN, window: 4, options: [{ kind: 'mss', mss: 1460 }], payload: hex('aabb') }, A4, B4);
    expect(n).toBe(26);
    expect(buf[19]).toBe(0xcc);
    expect(buf[46]).toBe(0xcc);
    const seg = ok(parseTcp(buf.subarray(20, 46)));
    expect(seg).toMatchObject({ srcPort: 1, dstPort: 2, seq: 3, ack: 0, dataOffset: 6, mss: 1460 });
    expect(verifyTcpChecksum(buf.subarray(20, 46), A4, B4)).toBe(true);
  });

  it('pads raw options with zeros to a 32-bit boundary', () => {
    const options = hex('01 03 03 07 01'); // 5 bytes
    expect(tcpHeaderLength({ options })).toBe(28);
    const seg = ok(parseTcp(buildTcpSegment({ srcPort: 1, dstPort: 2, seq: 0, flags: TCP_SYN, window: 0, options }, A4, B4)));
    expect(seg.options).toEqual(hex('0103 0307 0100 0000'));
    expect(seg.windowScale).toBe(7);
  });

  it('refuses options over 40 bytes and a buffer too small', () => {
    expect(() => buildTcpSegment({ srcPort: 1, dstPort: 2, seq: 0, flags: 0, window: 0, options: new Uint8Array(41) }, A4, B4)).toThrow(RangeError);
    expect(() => writeTcpSegment(new Uint8Array(19), 0, { srcPort: 1, dstPort: 2, seq: 0, flags: 0, window: 0 }, A4, B4)).toThrow(RangeError);
  });
});
