import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cidrContains,
  copyIpAddress,
  formatCidr,
  formatIpAddress,
  formatIpv4Address,
  formatIpv6Address,
  ipEquals,
  ipFamily,
  ipKey,
  ipv4AddressFromBytes,
  ipv4AddressToBytes,
  ipv4FromMappedAddress,
  ipv4MappedAddress,
  isIpv4MappedAddress,
  parseCidr,
  parseIpAddress,
  parseIpv4Address,
  parseIpv6Address,
} from '../../../src/wire/index.js';
import { hex } from './hex.js';

describe('IPv4 text', () => {
  it('parses dotted decimal into the 32-bit number', () => {
    expect(parseIpv4Address('10.0.0.1')).toBe(0x0a000001);
    expect(parseIpv4Address('0.0.0.0')).toBe(0);
    expect(parseIpv4Address('255.255.255.255')).toBe(0xffffffff);
    expect(parseIpv4Address('192.168.1.200')).toBe(0xc0a801c8);
  });

  it('refuses everything inet_pton refuses', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1.2.3.4 ', ' 1.2.3.4', '1..3.4', '1.2.3.', 'a.b.c.d', '1.2.3.4/8', '0x1.2.3.4', '1234.1.1.1', '-1.2.3.4']) {
      expect(parseIpv4Address(bad), bad).toBeUndefined();
    }
  });

  it('round-trips every address', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (a) => {
        expect(parseIpv4Address(formatIpv4Address(a))).toBe(a);
      }),
    );
    fc.assert(
      fc.property(fc.ipV4(), (text) => {
        expect(formatIpv4Address(parseIpv4Address(text)!)).toBe(text);
      }),
    );
  });

  it('converts to and from bytes in network order', () => {
    expect(ipv4AddressFromBytes(hex('0ac80102'))).toBe(parseIpv4Address('10.200.1.2'));
    expect(ipv4AddressToBytes(parseIpv4Address('10.200.1.2')!)).toEqual(hex('0ac80102'));
  });
});

describe('IPv6 text', () => {
  it('parses the RFC 4291 §2.2 forms', () => {
    expect(parseIpv6Address('2001:db8:0:0:8:800:200c:417a')).toEqual(hex('20010db8000000000008 0800200c417a'));
    expect(parseIpv6Address('2001:DB8::8:800:200C:417A')).toEqual(hex('20010db8000000000008 0800200c417a'));
    expect(parseIpv6Address('::1')).toEqual(hex('00000000000000000000000000000001'));
    expect(parseIpv6Address('::')).toEqual(new Uint8Array(16));
    expect(parseIpv6Address('ff01::')).toEqual(hex('ff010000000000000000000000000000'));
    expect(parseIpv6Address('::ffff:10.0.0.1')).toEqual(hex('00000000000000000000ffff0a000001'));
    expect(parseIpv6Address('0:0:0:0:0:0:13.1.68.3')).toEqual(hex('0000000000000000000000000d014403'));
    expect(parseIpv6Address('1:2:3:4:5:6:7::')).toEqual(hex('00010002000300040005000600070000'));
    expect(parseIpv6Address('::2:3:4:5:6:7:8')).toEqual(hex('00000002000300040005000600070008'));
  });

  it('refuses malformed text', () => {
    for (const bad of [
      '', ':', ':::', '1:::2', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::1', ':1:2:3:4:5:6:7', '1:2:3:4:5:6:7:',
      '1::2:3:4:5:6:7:8', '::1.2.3', '::1.2.3.4:5', '1.2.3.4', 'fe80::1%eth0', '::256.1.1.1', ' ::1', '1:2:3:4:5:6:7:8::',
    ]) {
      expect(parseIpv6Address(bad), bad).toBeUndefined();
    }
  });

  it('prints RFC 5952 canonical text', () => {
    const canonical: [string, string][] = [
      ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'], // §4.1 leading zeros, §4.2.1 longest run
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // §4.2.2 one zero group stays
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // §4.2.3 the longest run
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // §4.2.3 the first of equal runs
      ['2001:DB8::ABCD', '2001:db8::abcd'], // §4.3 lowercase
      ['0:0:0:0:0:0:0:0', '::'],
      ['0:0:0:0:0:0:0:1', '::1'],
      ['1:0:0:0:0:0:0:0', '1::'],
      ['fe80:0:0:0:0:0:0:1', 'fe80::1'],
      ['::ffff:192.0.2.1', '::ffff:192.0.2.1'], // §5 mixed notation for IPv4-mapped
      ['0:0:0:0:0:ffff:c000:0201', '::ffff:192.0.2.1'],
      ['fd00:200:1::2', 'fd00:200:1::2'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
      ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
    ];
    for (const [input, expected] of canonical) expect(formatIpv6Address(parseIpv6Address(input)!), input).toBe(expected);
  });

  it('round-trips every address through its canonical text, and canonical text is a fixed point', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (a) => {
        const text = formatIpv6Address(a);
        expect(parseIpv6Address(text)).toEqual(a);
        expect(text).toBe(text.toLowerCase());
      }),
    );
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const a = parseIpv6Address(text);
        expect(a).toBeDefined();
        expect(formatIpv6Address(parseIpv6Address(formatIpv6Address(a!))!)).toBe(formatIpv6Address(a!));
      }),
    );
  });

  it('knows IPv4-mapped addresses', () => {
    const mapped = parseIpv6Address('::ffff:10.1.2.3')!;
    expect(isIpv4MappedAddress(mapped)).toBe(true);
    expect(ipv4FromMappedAddress(mapped)).toBe(parseIpv4Address('10.1.2.3'));
    expect(ipv4MappedAddress(parseIpv4Address('10.1.2.3')!)).toEqual(mapped);
    expect(isIpv4MappedAddress(parseIpv6Address('::1.2.3.4')!)).toBe(false);
    expect(ipv4FromMappedAddress(parseIpv6Address('::1')!)).toBeUndefined();
  });
});

describe('either family', () => {
  it('parses, formats, tells the family', () => {
    expect(parseIpAddress('10.0.0.1')).toBe(0x0a000001);
    expect(parseIpAddress('fd00::1')).toEqual(parseIpv6Address('fd00::1'));
    expect(parseIpAddress('nonsense')).toBeUndefined();
    expect(ipFamily(parseIpAddress('10.0.0.1')!)).toBe(4);
    expect(ipFamily(parseIpAddress('::1')!)).toBe(6);
    expect(formatIpAddress(0x0a000001)).toBe('10.0.0.1');
    expect(formatIpAddress(parseIpv6Address('fd00::1')!)).toBe('fd00::1');
  });

  it('compares by value', () => {
    expect(ipEquals(1, 1)).toBe(true);
    expect(ipEquals(1, 2)).toBe(false);
    expect(ipEquals(parseIpv6Address('::1')!, parseIpv6Address('0::0:1')!)).toBe(true);
    expect(ipEquals(parseIpv6Address('::1')!, parseIpv6Address('::2')!)).toBe(false);
    expect(ipEquals(1, parseIpv6Address('::1')!)).toBe(false);
  });

  it('gives map keys equal exactly when the addresses are', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (a, b) => {
        expect(ipKey(a) === ipKey(b)).toBe(ipEquals(a, b));
        expect(ipKey(a)).toBe(ipKey(a.slice()));
      }),
    );
    expect(ipKey(0x0a000001)).toBe(0x0a000001);
    const map = new Map<number | string, string>([[ipKey(parseIpv6Address('fd00::1')!), 'x']]);
    expect(map.get(ipKey(parseIpv6Address('fd00:0::1')!))).toBe('x');
  });

  it('copies an IPv6 address out of the packet it was read from', () => {
    const packet = hex('00000000000000000000000000000001');
    const copy = copyIpAddress(packet.subarray(0, 16));
    packet[15] = 9;
    expect(formatIpAddress(copy)).toBe('::1');
    expect(copyIpAddress(7)).toBe(7);
  });
});

describe('CIDR', () => {
  it('parses address/prefix for both families, keeping host bits', () => {
    const v4 = parseCidr('10.0.0.1/24');
    expect(v4).toEqual({ ok: true, address: 0x0a000001, prefixLength: 24 });
    const v6 = parseCidr('fd00::1/64');
    expect(v6.ok && formatIpAddress(v6.address)).toBe('fd00::1');
    expect(v6.ok && v6.prefixLength).toBe(64);
    expect(parseCidr('0.0.0.0/0').ok).toBe(true);
    expect(parseCidr('::/128').ok).toBe(true);
  });

  it('refuses bad input with a message, never throws', () => {
    for (const bad of ['10.0.0.1', '10.0.0.1/33', '10.0.0.1/', '10.0.0.1/024', '10.0.0.1/2a', 'fd00::1/129', 'x/8', '/8', '10.0.0.1/-1', '10.0.0.1/24/1']) {
      const r = parseCidr(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.error.length).toBeGreaterThan(0);
    }
  });

  it('formats and tests membership', () => {
    const net = parseCidr('10.200.1.2/24');
    if (!net.ok) throw new Error('parse');
    expect(formatCidr(net)).toBe('10.200.1.2/24');
    expect(cidrContains(net, parseIpv4Address('10.200.1.77')!)).toBe(true);
    expect(cidrContains(net, parseIpv4Address('10.200.2.1')!)).toBe(false);
    expect(cidrContains(net, parseIpv6Address('::1')!)).toBe(false);
    const all = parseCidr('0.0.0.0/0');
    expect(all.ok && cidrContains(all, 0xffffffff)).toBe(true);
    const v6 = parseCidr('fd00:200:1::/52');
    if (!v6.ok) throw new Error('parse');
    expect(cidrContains(v6, parseIpv6Address('fd00:200:1:fff::9')!)).toBe(true);
    expect(cidrContains(v6, parseIpv6Address('fd00:200:1:1000::9')!)).toBe(false);
    expect(cidrContains(v6, 5)).toBe(false);
  });

  it('a prefix contains exactly the addresses that share its first bits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), (a, b, bits) => {
        const shift = 32 - bits;
        const same = bits === 0 || Math.floor(a / 2 ** shift) === Math.floor(b / 2 ** shift);
        expect(cidrContains({ address: a, prefixLength: bits }, b)).toBe(same);
      }),
    );
  });
});
