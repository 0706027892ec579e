import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildIpv4Packet,
  formatIpAddress,
  internetChecksum,
  ipv4HeaderLength,
  ipv4Route,
  IPOPT_EOL,
  IPOPT_RR,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPV4_DF,
  IPV4_MF,
  parseIpv4,
  parseIpv4Address,
  parseIpv4Options,
  PARSE_FAILURES,
  verifyIpv4HeaderChecksum,
  writeIpv4Header,
} from '../../../src/wire/index.js';
import { hex } from './hex.js';
import { FRAGMENT4_FIRST, FRAGMENT4_LAST, PING4, RECORD_ROUTE4, SYN4 } from './packets.js';

function ok<T extends { ok: boolean }>(r: T): Extract<T, { ok: true }> {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r)}`);
  return r as Extract<T, { ok: true }>;
}

describe('parseIpv4', () => {
  it('reads every field of a Linux SYN', () => {
    const ip = ok(parseIpv4(SYN4));
    expect(ip).toMatchObject({
      version: 4,
      ihl: 5,
      dscp: 0,
      ecn: 0,
      totalLength: 60,
      identification: 0x1c46,
      flags: IPV4_DF,
      fragmentOffset: 0,
      ttl: 64,
      protocol: IPPROTO_TCP,
      checksum: 0x05e3,
      isFragment: false,
    });
    expect(formatIpAddress(ip.src)).toBe('10.200.1.2');
    expect(formatIpAddress(ip.dst)).toBe('10.200.2.2');
    expect(ip.options.length).toBe(0);
    expect(ip.payload).toEqual(SYN4.subarray(20));
  });

  it('bounds the payload by Total Length, ignoring link padding', () => {
    const padded = new Uint8Array(SYN4.length + 6);
    padded.set(SYN4);
    padded.fill(0xee, SYN4.length);
    const ip = ok(parseIpv4(padded));
    expect(ip.payload.length).toBe(40);
    expect(ip.payload).toEqual(SYN4.subarray(20));
  });

  it('gives views, not copies', () => {
    const ip = ok(parseIpv4(PING4));
    expect(ip.payload.buffer).toBe(PING4.buffer);
    expect(ip.payload.byteOffset).toBe(PING4.byteOffset + 20);
  });

  it('keeps options and decodes Record Route', () => {
    const ip = ok(parseIpv4(RECORD_ROUTE4));
    expect(ip.ihl).toBe(15);
    expect(ip.options.length).toBe(40);
    expect(ip.payload.length).toBe(16);
    const options = ok(parseIpv4Options(ip.options)).options;
    expect(options.map((o) => o.type)).toEqual([IPOPT_RR, IPOPT_EOL]);
    const route = ipv4Route(options[0])!;
    expect(route.pointer).toBe(8);
    expect(route.recorded.map(formatIpAddress)).toEqual(['10.200.1.2']);
    expect(route.remaining.length).toBe(8);
    expect(ipv4Route(options[1])).toBeUndefined();
  });

  it('parses fragments and flags them', () => {
    const first = ok(parseIpv4(FRAGMENT4_FIRST));
    expect(first).toMatchObject({ flags: IPV4_MF, fragmentOffset: 0, isFragment: true, identification: 0x99 });
    const last = ok(parseIpv4(FRAGMENT4_LAST));
    expect(last).toMatchObject({ flags: 0, fragmentOffset: 2, isFragment: true });
    expect(ok(parseIpv4(SYN4)).isFragment).toBe(false);
  });

  describe('refuses, with the reason Linux would count', () => {
    /** SYN4 edited, with its header checksum made right again unless asked not to. */
    const mutate = (edit: (b: Uint8Array) => void, fixChecksum = true): Uint8Array => {
      const b = SYN4.slice();
      edit(b);
      if (fixChecksum) {
        b[10] = b[11] = 0;
        const c = internetChecksum(b, 0, Math.min((b[0] & 0x0f) * 4, b.length));
        b[10] = c >>> 8;
        b[11] = c & 0xff;
      }
      return b;
    };
    const cases: [string, Uint8Array, string][] = [
      ['empty', new Uint8Array(0), 'truncated'],
      ['19 bytes', SYN4.subarray(0, 19), 'truncated'],
      ['version 6', mutate((b) => (b[0] = 0x65)), 'bad-version'],
      ['IHL 4', mutate((b) => (b[0] = 0x44)), 'bad-header-length'],
      ['IHL beyond the bytes', mutate((b) => (b[0] = 0x4f)).subarray(0, 40), 'truncated'],
      ['bad header checksum', mutate((b) => (b[8] = 63), false), 'bad-checksum'],
      ['Total Length past the bytes', mutate((b) => (b[3] = 61)), 'truncated'],
      ['Total Length below the header', mutate((b) => (b[3] = 19)), 'bad-total-length'],
      ['an option length of 1', mutate((b) => { b[0] = 0x46; b[3] = 60; b.set([0x07, 0x01, 0, 0], 20); }), 'bad-option-length'],
      ['an option past the header', mutate((b) => { b[0] = 0x46; b.set([0x01, 0x07, 0x08, 0x00], 20); }), 'bad-option-length'],
      ['a lone option type at the end', mutate((b) => { b[0] = 0x46; b.set([0x01, 0x01, 0x01, 0x07], 20); }), 'bad-option-length'],
    ];
    for (const [name, bytes, reason] of cases) {
      it(name, () => {
        const r = parseIpv4(bytes);
        expect(r).toEqual({ ok: false, reason, layer: 'ipv4' });
        expect(PARSE_FAILURES).toContain(reason);
      });
    }
  });
});

describe('IPv4 builders', () => {
  it('build(parse(bytes)) gives the bytes back', () => {
    for (const packet of [SYN4, PING4, RECORD_ROUTE4, FRAGMENT4_FIRST, FRAGMENT4_LAST]) {
      const ip = ok(parseIpv4(packet));
      expect(buildIpv4Packet(ip, ip.payload)).toEqual(packet);
    }
  });

  it('parse(build(fields)) gives the fields back', () => {
    fc.assert(
      fc.property(
        fc.record({
          dscp: fc.integer({ min: 0, max: 63 }),
          ecn: fc.integer({ min: 0, max: 3 }),
          identification: fc.integer({ min: 0, max: 0xffff }),
          flags: fc.constantFrom(0, IPV4_DF),
          ttl: fc.integer({ min: 0, max: 255 }),
          protocol: fc.integer({ min: 0, max: 255 }),
          src: fc.integer({ min: 0, max: 0xffffffff }),
          dst: fc.integer({ min: 0, max: 0xffffffff }),
        }),
        fc.uint8Array({ maxLength: 100 }),
        (fields, payload) => {
          const ip = ok(parseIpv4(buildIpv4Packet(fields, payload)));
          expect(ip).toMatchObject({ ...fields, fragmentOffset: 0, totalLength: 20 + payload.length, isFragment: false });
          expect(ip.payload).toEqual(payload);
        },
      ),
    );
  });

  it('writes into a buffer at an offset, pads options with End of Option List', () => {
    const buf = new Uint8Array(64).fill(0xaa);
    const options = hex('94 04 0000 01'); // Router Alert and a NOP: 5 bytes, padded to 8
    expect(ipv4HeaderLength(options)).toBe(28);
    const n = writeIpv4Header(buf, 4, { totalLength: 28, protocol: IPPROTO_ICMP, src: parseIpv4Address('10.0.0.1')!, dst: parseIpv4Address('10.0.0.2')!, options });
    expect(n).toBe(28);
    expect(buf[3]).toBe(0xaa);
    expect(buf[4]).toBe(0x47);
    expect(buf.subarray(24, 32)).toEqual(hex('9404 0000 0100 0000'));
    expect(buf[8 + 4]).toBe(64); // default TTL
    expect(verifyIpv4HeaderChecksum(buf.subarray(4))).toBe(true);
    const ip = ok(parseIpv4(buf.subarray(4, 32)));
    expect(ip.options).toEqual(hex('9404 0000 0100 0000'));
  });

  it('refuses what cannot be encoded', () => {
    expect(() => buildIpv4Packet({ protocol: 6, src: 0, dst: 0, options: new Uint8Array(41) }, new Uint8Array(0))).toThrow(RangeError);
    expect(() => buildIpv4Packet({ protocol: 6, src: 0, dst: 0 }, new Uint8Array(65516))).toThrow(RangeError);
    expect(() => writeIpv4Header(new Uint8Array(10), 0, { totalLength: 20, protocol: 6, src: 0, dst: 0 })).toThrow(RangeError);
  });
});

describe('parseIpv4Options', () => {
  it('lists options in order and stops at End of Option List', () => {
    const r = ok(parseIpv4Options(hex('01 01 9404 0000 00 ff ff')));
    expect(r.options.map((o) => o.type)).toEqual([1, 1, 148, 0]);
    expect(r.options[2].data).toEqual(hex('0000'));
  });

  it('fails on a bad length', () => {
    expect(parseIpv4Options(hex('07'))).toEqual({ ok: false, reason: 'bad-option-length', layer: 'ipv4' });
    expect(parseIpv4Options(hex('07 01'))).toEqual({ ok: false, reason: 'bad-option-length', layer: 'ipv4' });
    expect(parseIpv4Options(hex('07 05 04 00'))).toEqual({ ok: false, reason: 'bad-option-length', layer: 'ipv4' });
  });
});
