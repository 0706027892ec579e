import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildUdpDatagram, parseIpv4Address, parseIpv6Address, parseUdp, verifyUdpChecksum, writeUdpDatagram } from '../../../src/wire/index.js';
import { hex } from './hex.js';

const A4 = parseIpv4Address('10.200.1.2')!;
const B4 = parseIpv4Address('10.200.2.2')!;
const A6 = parseIpv6Address('fd00:200:1::2')!;
const B6 = parseIpv6Address('fd00:200:2::2')!;

describe('UDP (RFC 768)', () => {
  it('parses a hand-written datagram', () => {
    // 5000 → 9, length 10, checksum over the IPv4 pseudo-header and "hi".
    const d = buildUdpDatagram({ srcPort: 5000, dstPort: 9, payload: hex('6869') }, A4, B4);
    expect(d.subarray(0, 6)).toEqual(hex('1388 0009 000a'));
    const udp = parseUdp(d);
    expect(udp).toMatchObject({ ok: true, protocol: 17, srcPort: 5000, dstPort: 9, length: 10 });
    expect(udp.ok && udp.payload).toEqual(hex('6869'));
    expect(verifyUdpChecksum(d, A4, B4)).toBe(true);
    expect(verifyUdpChecksum(d, A4, B4 + 1)).toBe(false);
  });

  it('round-trips over both families', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 100 }), fc.boolean(), (srcPort, dstPort, payload, v6) => {
        const [src, dst] = v6 ? [A6, B6] : [A4, B4];
        const d = buildUdpDatagram({ srcPort, dstPort, payload }, src, dst);
        expect(verifyUdpChecksum(d, src, dst)).toBe(true);
        const udp = parseUdp(d);
        expect(udp).toMatchObject({ ok: true, srcPort, dstPort, length: 8 + payload.length });
        expect(udp.ok && udp.payload).toEqual(payload);
        expect(udp.ok && udp.checksum).not.toBe(0);
      }),
    );
  });

  it('sends a computed zero checksum as 0xffff', () => {
    // Choose two payload bytes that make the checksum come out zero.
    const probe = buildUdpDatagram({ srcPort: 1, dstPort: 2, payload: hex('0000') }, A4, B4);
    const c = (probe[6] << 8) | probe[7];
    const d = buildUdpDatagram({ srcPort: 1, dstPort: 2, payload: new Uint8Array([c >>> 8, c & 0xff]) }, A4, B4);
    expect(d.subarray(6, 8)).toEqual(hex('ffff'));
    expect(verifyUdpChecksum(d, A4, B4)).toBe(true);
  });

  it('a zero checksum means "none" over IPv4 and is invalid over IPv6 (RFC 8200 §8.1)', () => {
    const d = buildUdpDatagram({ srcPort: 1, dstPort: 2, payload: hex('aa') }, A4, B4);
    d[6] = d[7] = 0;
    expect(verifyUdpChecksum(d, A4, B4)).toBe(true);
    expect(verifyUdpChecksum(d, A6, B6)).toBe(false);
  });

  it('bounds the payload by Length', () => {
    const d = new Uint8Array(20);
    d.set(buildUdpDatagram({ srcPort: 1, dstPort: 2, payload: hex('aabb') }, A4, B4));
    const udp = parseUdp(d);
    expect(udp.ok && udp.payload).toEqual(hex('aabb'));
  });

  it('writes at an offset inside a larger buffer', () => {
    const buf = new Uint8Array(40).fill(0xee);
    expect(writeUdpDatagram(buf, 28, { srcPort: 53, dstPort: 5353, payload: hex('01') }, A6, B6)).toBe(9);
    expect(buf[27]).toBe(0xee);
    expect(buf[37]).toBe(0xee);
    expect(verifyUdpChecksum(buf.subarray(28, 37), A6, B6)).toBe(true);
    expect(() => writeUdpDatagram(buf, 35, { srcPort: 1, dstPort: 2 }, A6, B6)).toThrow(RangeError);
  });

  it('refuses short headers and bad lengths', () => {
    expect(parseUdp(hex('0001 0002 0008'))).toEqual({ ok: false, reason: 'truncated', layer: 'udp' });
    expect(parseUdp(hex('0001 0002 0007 0000'))).toEqual({ ok: false, reason: 'bad-length', layer: 'udp' });
    expect(parseUdp(hex('0001 0002 0009 0000'))).toEqual({ ok: false, reason: 'bad-length', layer: 'udp' });
  });
});
