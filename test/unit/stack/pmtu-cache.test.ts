// The host's path MTU per destination, with Linux's route rules (__ip_rt_update_pmtu,
// __ip6_rt_update_pmtu): decreases only, IPv4 clamped to min_pmtu and then locked, IPv6 never
// below 1280, everything forgotten after mtu_expires.
import { describe, expect, it } from 'vitest';
import { PmtuCache } from '../../../src/stack/pmtu-cache.js';
import { parseIpAddress } from '../../../src/wire/address.js';

const A = parseIpAddress('10.0.0.2')!;
const B = parseIpAddress('10.0.0.3')!;
const A6 = parseIpAddress('fd00::2')!;

describe('PmtuCache', () => {
  it('learns a smaller MTU per destination, never a larger one; proposing changes nothing', () => {
    const c = new PmtuCache(1500);
    expect(c.proposed(A, 1200, 0)).toBe(1200);
    expect(c.learned(A, 0)).toBeUndefined();
    expect(c.update(A, 1200, 0)).toBe(1200);
    expect(c.mtu(A, 0)).toBe(1200);
    expect(c.mtu(B, 0)).toBe(1500);
    expect(c.update(A, 1400, 10)).toBe(1200);
    expect(c.update(A, 1000, 20)).toBe(1000);
  });

  it('IPv4 below net.ipv4.route.min_pmtu (552) is clamped to it and locked until it expires', () => {
    const c = new PmtuCache(1500);
    expect(c.update(A, 68, 0)).toBe(552);
    expect(c.update(A, 0, 0)).toBe(552);
    expect(c.update(A, 500, 0)).toBe(552);
    expect(c.mtu(A, 599_999)).toBe(552);
    expect(c.mtu(A, 600_000)).toBe(1500);
  });

  it('IPv6 ignores reports below 1280 and larger than the path', () => {
    const c = new PmtuCache(1500);
    expect(c.update(A6, 1000, 0)).toBe(1500);
    expect(c.update(A6, 1280, 0)).toBe(1280);
    expect(c.update(A6, 1400, 0)).toBe(1280);
  });

  it('mtu_expires (600 s): the same MTU again refreshes an entry only in its second half', () => {
    const c = new PmtuCache(1500, { mtuExpires: 600_000 });
    c.update(A, 1200, 0);
    c.update(A, 1200, 100_000);
    expect(c.learned(A, 600_000)).toBeUndefined();
    c.update(A, 1200, 700_000);
    c.update(A, 1200, 1_000_001);
    expect(c.learned(A, 1_300_000)).toBe(1200);
    expect(c.learned(A, 1_600_001)).toBeUndefined();
  });
});
