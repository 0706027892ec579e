/**
 * Fuzz target: every wire parser fed random bytes and real packets with bytes changed, cut or
 * appended (the IPv4 header checksum fixed up half the time so the layers above are reached).
 * No parser throws; a refusal names one of the known reasons; formatting never throws.
 * The unit tests (test/unit/wire/fuzz.test.ts) run the same kind of inputs in a slice; this is
 * the long run of scripts/fuzz.ts.
 */
import fc from 'fast-check';
import { formatPacket, parseIcmpv4, parseIcmpv6, parseInvokingPacket, parseIpv4, parseIpv6, parsePacket, parseTcp, parseUdp, PARSE_FAILURES } from '../../src/wire/index.js';
import { internetChecksum } from '../../src/wire/checksum.js';
import { CHAIN6, DATA4, FIN4, FRAGMENT4_FIRST, FRAGMENT6_FIRST, FRAGMENT6_LAST, PING4, PING6, RECORD_ROUTE4, RST4, SYN4, SYN6 } from '../unit/wire/packets.js';

const CORPUS = [SYN4, SYN6, DATA4, FIN4, RST4, PING4, PING6, RECORD_ROUTE4, CHAIN6, FRAGMENT4_FIRST, FRAGMENT6_FIRST, FRAGMENT6_LAST];
const REASONS = new Set<string>(PARSE_FAILURES);

function parseAll(bytes: Uint8Array): void {
  for (const verify of [true, false]) {
    const p = parsePacket(bytes, verify);
    if (!p.ok && !REASONS.has(p.reason)) throw new Error(`unknown reason ${p.reason}`);
    if (typeof formatPacket(p) !== 'string') throw new Error('formatPacket did not give a string');
  }
  for (const r of [parseIpv4(bytes), parseIpv6(bytes), parseTcp(bytes), parseUdp(bytes), parseIcmpv4(bytes), parseIcmpv6(bytes), parseInvokingPacket(bytes, 4), parseInvokingPacket(bytes, 6)]) {
    if (!r.ok && !REASONS.has(r.reason)) throw new Error(`unknown reason ${r.reason}`);
  }
}

const edit = fc.tuple(fc.oneof(fc.nat(80), fc.nat()), fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 1, 0x40, 0x45, 0x60, 0xff)));

const input = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.record({ base: fc.constantFrom(...CORPUS), edits: fc.array(edit, { maxLength: 6 }), cut: fc.option(fc.nat()), tail: fc.uint8Array({ maxLength: 32 }), fix: fc.boolean() }).map(({ base, edits, cut, tail, fix }) => {
    let b = base.slice();
    for (const [i, v] of edits) b[i % b.length] = v;
    if (cut !== null) b = b.slice(0, cut % (b.length + 1));
    const out = new Uint8Array(b.length + tail.length);
    out.set(b);
    out.set(tail, b.length);
    if (fix && out.length >= 20 && out[0]! >>> 4 === 4) {
      const ihl = (out[0]! & 0x0f) * 4;
      if (ihl >= 20 && ihl <= out.length) {
        out[10] = out[11] = 0;
        const c = internetChecksum(out, 0, ihl);
        out[10] = c >>> 8;
        out[11] = c & 0xff;
      }
    }
    return out;
  }),
);

export const wireProperty = () => fc.property(input, parseAll);
