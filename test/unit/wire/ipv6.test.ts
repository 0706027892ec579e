import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildIpv6Packet,
  encodeIpv6Options,
  formatIpAddress,
  IPPROTO_AH,
  IPPROTO_DSTOPTS,
  IPPROTO_ESP,
  IPPROTO_FRAGMENT,
  IPPROTO_HOPOPTS,
  IPPROTO_ICMPV6,
  IPPROTO_NONE,
  IPPROTO_ROUTING,
  IPPROTO_TCP,
  IPV6_OPT_PAD1,
  IPV6_OPT_PADN,
  IPV6_OPT_ROUTER_ALERT,
  ipv6FragmentBody,
  ipv6UnrecognizedOptionAction,
  parseIpv6,
  parseIpv6Address,
  parseIpv6Options,
  parseTcp,
  verifyTcpChecksum,
  writeIpv6Header,
} from '../../../src/wire/index.js';
import { hex } from './hex.js';
import { CHAIN6, FRAGMENT6_FIRST, FRAGMENT6_LAST, SYN6 } from './packets.js';

function ok<T extends { ok: boolean }>(r: T): Extract<T, { ok: true }> {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r)}`);
  return r as Extract<T, { ok: true }>;
}

const A = parseIpv6Address('fd00:200:1::2')!;
const B = parseIpv6Address('fd00:200:2::2')!;

describe('parseIpv6', () => {
  it('reads the fixed header of a Linux SYN', () => {
    const ip = ok(parseIpv6(SYN6));
    expect(ip).toMatchObject({
      version: 6,
      trafficClass: 0,
      flowLabel: 0,
      payloadLength: 40,
      nextHeader: IPPROTO_TCP,
      hopLimit: 64,
      protocol: IPPROTO_TCP,
      fragment: undefined,
      isFragment: false,
    });
    expect(ip.extensionHeaders).toEqual([]);
    expect(formatIpAddress(ip.src)).toBe('fd00:200:1::2');
    expect(formatIpAddress(ip.dst)).toBe('fd00:200:2::2');
    expect(ip.payload).toEqual(SYN6.subarray(40));
  });

  it('reads traffic class and flow label across their byte boundaries', () => {
    const b = SYN6.slice();
    b.set(hex('6ab12345'), 0);
    const ip = ok(parseIpv6(b));
    expect(ip.trafficClass).toBe(0xab);
    expect(ip.flowLabel).toBe(0x12345);
  });

  it('walks Hop-by-Hop → atomic Fragment → Destination Options to TCP', () => {
    const ip = ok(parseIpv6(CHAIN6));
    expect(ip.nextHeader).toBe(IPPROTO_HOPOPTS);
    expect(ip.extensionHeaders.map((h) => [h.type, h.offset, h.bytes.length])).toEqual([
      [IPPROTO_HOPOPTS, 40, 8],
      [IPPROTO_FRAGMENT, 48, 8],
      [IPPROTO_DSTOPTS, 56, 8],
    ]);
    expect(ip.fragment).toEqual({ fragmentOffset: 0, moreFragments: false, identification: 0x12345678 });
    // RFC 6946: an atomic fragment is a whole packet.
    expect(ip.isFragment).toBe(false);
    expect(ip.protocol).toBe(IPPROTO_TCP);
    expect(ip.payload.length).toBe(20);
    const tcp = ok(parseTcp(ip.payload));
    expect(tcp).toMatchObject({ srcPort: 40000, dstPort: 5201, seq: 1, window: 1000 });
    // The pseudo-header carries the upper-layer protocol and length, not the first Next Header.
    expect(verifyTcpChecksum(ip.payload, ip.src, ip.dst)).toBe(true);
    expect(ok(parseIpv6Options(ip.extensionHeaders[0].body)).options).toEqual([{ type: IPV6_OPT_PADN, data: hex('00000000') }]);
  });

  it('stops at a real fragment and reports it', () => {
    const first = ok(parseIpv6(FRAGMENT6_FIRST));
    expect(first.fragment).toEqual({ fragmentOffset: 0, moreFragments: true, identification: 0xcafe });
    expect(first.isFragment).toBe(true);
    expect(first.protocol).toBe(IPPROTO_ICMPV6);
    expect(first.payload.length).toBe(16);
    const last = ok(parseIpv6(FRAGMENT6_LAST));
    expect(last.fragment).toEqual({ fragmentOffset: 2, moreFragments: false, identification: 0xcafe });
    expect(last.isFragment).toBe(true);
    expect(last.payload).toEqual(new Uint8Array(8));
  });

  it('walks Routing and AH headers with their own length units', () => {
    const routing = { type: IPPROTO_ROUTING, body: hex('0400 0000 0000') }; // 8 bytes: Hdr Ext Len 0
    const ah = { type: IPPROTO_AH, body: new Uint8Array(22) }; // 24 bytes: Payload Len 24/4 − 2 = 4
    const packet = buildIpv6Packet({ src: A, dst: B, protocol: IPPROTO_NONE, extensionHeaders: [routing, ah] }, new Uint8Array(0));
    expect(packet[40 + 1]).toBe(0);
    expect(packet[40 + 8 + 1]).toBe(4);
    const ip = ok(parseIpv6(packet));
    expect(ip.extensionHeaders.map((h) => [h.type, h.bytes.length])).toEqual([[IPPROTO_ROUTING, 8], [IPPROTO_AH, 24]]);
    expect(ip.protocol).toBe(IPPROTO_NONE);
    expect(ip.payload.length).toBe(0);
  });

  it('stops at ESP: what follows is encrypted', () => {
    const ip = ok(parseIpv6(buildIpv6Packet({ src: A, dst: B, protocol: IPPROTO_ESP }, hex('0000 0001 0000 0001 ffff'))));
    expect(ip.protocol).toBe(IPPROTO_ESP);
    expect(ip.payload.length).toBe(10);
  });

  it('bounds the payload by Payload Length, ignoring link padding', () => {
    const padded = new Uint8Array(SYN6.length + 3);
    padded.set(SYN6);
    const ip = ok(parseIpv6(padded));
    expect(ip.payload.length).toBe(40);
  });

  describe('refuses', () => {
    const withPayloadLength = (b: Uint8Array, n: number): Uint8Array => {
      const c = b.slice();
      c[4] = n >>> 8;
      c[5] = n & 0xff;
      return c;
    };
    const cases: [string, Uint8Array, string][] = [
      ['39 bytes', SYN6.subarray(0, 39), 'truncated'],
      ['version 4', (() => { const b = SYN6.slice(); b[0] = 0x40; return b; })(), 'bad-version'],
      ['Payload Length past the bytes', withPayloadLength(SYN6, 41), 'truncated'],
      ['a jumbogram', (() => { const b = withPayloadLength(CHAIN6, 0); return b; })(), 'bad-payload-length'],
      ['an extension header past Payload Length', withPayloadLength(CHAIN6, 12), 'bad-extension-header'],
      ['a Hdr Ext Len past the payload', (() => { const b = CHAIN6.slice(); b[41] = 9; return b; })(), 'bad-extension-header'],
      ['a Fragment header cut short', withPayloadLength(CHAIN6, 8 + 4), 'bad-extension-header'],
      ['only the Next Header octet of an extension header', withPayloadLength(CHAIN6, 1), 'bad-extension-header'],
      ['Hop-by-Hop not first', (() => { const b = CHAIN6.slice(); b[48] = IPPROTO_HOPOPTS; return b; })(), 'bad-extension-header'],
    ];
    for (const [name, bytes, reason] of cases) {
      it(name, () => expect(parseIpv6(bytes)).toEqual({ ok: false, reason, layer: 'ipv6' }));
    }
  });
});

describe('IPv6 builders', () => {
  it('build(parse(bytes)) gives the bytes back, extension headers included', () => {
    for (const packet of [SYN6, CHAIN6, FRAGMENT6_FIRST, FRAGMENT6_LAST]) {
      const ip = ok(parseIpv6(packet));
      expect(buildIpv6Packet(ip, ip.payload)).toEqual(packet);
    }
  });

  it('builds a Hop-by-Hop + Fragment + Destination Options chain that parses back', () => {
    const hbh = { type: IPPROTO_HOPOPTS, body: encodeIpv6Options([{ type: IPV6_OPT_ROUTER_ALERT, data: hex('0000') }]) };
    const frag = { type: IPPROTO_FRAGMENT, body: ipv6FragmentBody({ fragmentOffset: 0, moreFragments: false, identification: 7 }) };
    const dst = { type: IPPROTO_DSTOPTS, body: encodeIpv6Options([]) };
    const packet = buildIpv6Packet({ src: A, dst: B, hopLimit: 1, protocol: IPPROTO_ICMPV6, extensionHeaders: [hbh, frag, dst] }, hex('8000 0000 0000 0000'));
    const ip = ok(parseIpv6(packet));
    expect(ip.hopLimit).toBe(1);
    expect(ip.extensionHeaders.map((h) => h.type)).toEqual([IPPROTO_HOPOPTS, IPPROTO_FRAGMENT, IPPROTO_DSTOPTS]);
    expect(ok(parseIpv6Options(ip.extensionHeaders[0].body)).options).toEqual([
      { type: IPV6_OPT_ROUTER_ALERT, data: hex('0000') },
      { type: IPV6_OPT_PADN, data: new Uint8Array(0) },
    ]);
    expect(ip.fragment?.identification).toBe(7);
    expect(ip.protocol).toBe(IPPROTO_ICMPV6);
    expect(ip.payload).toEqual(hex('8000 0000 0000 0000'));
  });

  it('parse(build(fields)) gives the fields back', () => {
    fc.assert(
      fc.property(
        fc.record({
          trafficClass: fc.integer({ min: 0, max: 255 }),
          flowLabel: fc.integer({ min: 0, max: 0xfffff }),
          hopLimit: fc.integer({ min: 0, max: 255 }),
          protocol: fc.constantFrom(6, 17, 58, 59),
          src: fc.uint8Array({ minLength: 16, maxLength: 16 }),
          dst: fc.uint8Array({ minLength: 16, maxLength: 16 }),
        }),
        fc.uint8Array({ maxLength: 64 }),
        (fields, payload) => {
          const ip = ok(parseIpv6(buildIpv6Packet(fields, payload)));
          expect(ip).toMatchObject({ ...fields, nextHeader: fields.protocol, payloadLength: payload.length });
          expect(ip.payload).toEqual(payload);
        },
      ),
    );
  });

  it('writes the fixed header at an offset', () => {
    const buf = new Uint8Array(50);
    expect(writeIpv6Header(buf, 10, { payloadLength: 0, nextHeader: IPPROTO_NONE, src: A, dst: B })).toBe(40);
    const ip = ok(parseIpv6(buf.subarray(10)));
    expect(ip.hopLimit).toBe(64);
    expect(formatIpAddress(ip.dst)).toBe('fd00:200:2::2');
  });

  it('refuses what cannot be encoded', () => {
    expect(() => buildIpv6Packet({ src: A, dst: B, protocol: 6 }, new Uint8Array(65536))).toThrow(RangeError);
    expect(() => buildIpv6Packet({ src: A, dst: B, protocol: 6, extensionHeaders: [{ type: IPPROTO_DSTOPTS, body: new Uint8Array(5) }] }, new Uint8Array(0))).toThrow(RangeError);
    expect(() => buildIpv6Packet({ src: A.subarray(0, 4), dst: B, protocol: 6 }, new Uint8Array(0))).toThrow(RangeError);
  });
});

describe('IPv6 options (RFC 8200 §4.2)', () => {
  it('encodes with Pad1/PadN to 8n − 2 and decodes in order', () => {
    for (let n = 0; n < 12; n++) {
      const body = encodeIpv6Options([{ type: 0x3e, data: new Uint8Array(n) }]);
      expect((body.length + 2) % 8).toBe(0);
      const options = ok(parseIpv6Options(body)).options;
      expect(options[0]).toEqual({ type: 0x3e, data: new Uint8Array(n) });
      expect(options.slice(1).every((o) => o.type === IPV6_OPT_PAD1 || o.type === IPV6_OPT_PADN)).toBe(true);
    }
  });

  it('fails on an option running past the header', () => {
    expect(parseIpv6Options(hex('05 04 0000'))).toEqual({ ok: false, reason: 'bad-option-length', layer: 'ipv6' });
    expect(parseIpv6Options(hex('00 00 05'))).toEqual({ ok: false, reason: 'bad-option-length', layer: 'ipv6' });
  });

  it('tells what to do with an unrecognised option from its two high bits', () => {
    expect(ipv6UnrecognizedOptionAction(0x1e)).toBe('skip');
    expect(ipv6UnrecognizedOptionAction(0x5e)).toBe('discard');
    expect(ipv6UnrecognizedOptionAction(0x9e)).toBe('discard-send-icmp');
    expect(ipv6UnrecognizedOptionAction(0xc2)).toBe('discard-send-icmp-if-unicast');
  });
});
