import { describe, expect, it } from 'vitest';
import { parseIpAddress, type IpAddress } from '../../../src/wire/address.js';
import { InitialSequenceNumbers, isnClock } from '../../../src/stack/isn.js';
import { sipHash24, sipHashKey } from '../../../src/stack/siphash.js';

const ip = (text: string): IpAddress => parseIpAddress(text)!;
const isnSecret = Uint8Array.from({ length: 16 }, (_, i) => i);
const tsSecret = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 + i);

describe('ISN (RFC 6528)', () => {
  const isns = new InitialSequenceNumbers({ isnSecret, tsSecret });
  const local = ip('10.0.0.1');
  const remote = ip('10.0.0.2');

  it('is F(4-tuple) + a 4 µs clock: 250 ticks per ms', () => {
    const a = isns.isn(local, 40000, remote, 80, 0);
    expect(isns.isn(local, 40000, remote, 80, 1)).toBe((a + 250) >>> 0);
    expect(isns.isn(local, 40000, remote, 80, 1000)).toBe((a + 250_000) >>> 0);
    expect(isns.isn(local, 40000, remote, 80, 0.004)).toBe((a + 1) >>> 0);
  });

  it('hashes the bytes secure_tcp_seq hashes on a little-endian kernel: saddr, daddr, dport, sport', () => {
    const bytes = Uint8Array.of(10, 0, 0, 1, 10, 0, 0, 2, 0x00, 0x50, 0x9c, 0x40);
    expect(isns.isn(local, 40000, remote, 80, 0)).toBe(sipHash24(sipHashKey(isnSecret), bytes));
  });

  it('hashes IPv6 as the struct { saddr, daddr, sport, dport }', () => {
    const l6 = ip('fd00::1');
    const r6 = ip('fd00::2');
    const bytes = new Uint8Array(36);
    bytes.set(l6 as Uint8Array, 0);
    bytes.set(r6 as Uint8Array, 16);
    bytes.set([0x9c, 0x40, 0x00, 0x50], 32);
    expect(isns.isn(l6, 40000, r6, 80, 0)).toBe(sipHash24(sipHashKey(isnSecret), bytes));
  });

  it('differs per 4-tuple and per secret, and wraps modulo 2^32', () => {
    const a = isns.isn(local, 40000, remote, 80, 0);
    expect(isns.isn(local, 40001, remote, 80, 0)).not.toBe(a);
    expect(isns.isn(local, 40000, remote, 81, 0)).not.toBe(a);
    expect(new InitialSequenceNumbers({ isnSecret: tsSecret, tsSecret }).isn(local, 40000, remote, 80, 0)).not.toBe(a);
    const late = isns.isn(local, 40000, remote, 80, 2 ** 32 / 250 + 1);
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(2 ** 32);
    expect(isnClock(2 ** 32 / 250)).toBe(0);
  });

  it('draws random secrets when none are given', () => {
    const x = new InitialSequenceNumbers();
    const y = new InitialSequenceNumbers();
    expect(x.isn(local, 1, remote, 2, 0)).not.toBe(y.isn(local, 1, remote, 2, 0));
  });
});

describe('timestamp offsets (RFC 7323 §5.4, Linux secure_tcp_ts_off)', () => {
  const isns = new InitialSequenceNumbers({ isnSecret, tsSecret });
  it('depend on the address pair only, under their own secret', () => {
    const off = isns.tsOffset(ip('10.0.0.1'), ip('10.0.0.2'));
    expect(off).toBe(sipHash24(sipHashKey(tsSecret), Uint8Array.of(10, 0, 0, 1, 10, 0, 0, 2)));
    expect(isns.tsOffset(ip('10.0.0.1'), ip('10.0.0.3'))).not.toBe(off);
    expect(isns.tsOffset(ip('fd00::1'), ip('fd00::2'))).not.toBe(isns.tsOffset(ip('fd00::1'), ip('fd00::3')));
  });
});
