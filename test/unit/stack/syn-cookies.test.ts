import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIpAddress } from '../../../src/wire/address.js';
import {
  SYN_COOKIE_MSS_TABLE,
  SYN_COOKIE_MSS_TABLE_V6,
  SYN_COOKIE_PERIOD_MS,
  SynCookies,
  cookieInitTimestamp,
  cookieTimestampDecode,
  synCookieTime,
  type CookieTuple,
} from '../../../src/stack/syn-cookies.js';

const secret = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
const cookies = new SynCookies(secret);
const v4: CookieTuple = { localAddress: parseIpAddress('10.0.0.1')!, localPort: 80, remoteAddress: parseIpAddress('10.0.0.2')!, remotePort: 40000 };
const v6: CookieTuple = { localAddress: parseIpAddress('fd00::1')!, localPort: 80, remoteAddress: parseIpAddress('fd00::2')!, remotePort: 40000 };

/** The final ACK of a handshake whose SYN had `synSeq` and whose SYN-ACK carried `iss`. */
function finalAck(synSeq: number, iss: number): { ack: number; seq: number } {
  return { ack: (iss + 1) >>> 0, seq: (synSeq + 1) >>> 0 };
}

describe('SYN cookies (Linux syncookies.c)', () => {
  it('uses Linux’s msstab, one for IPv4 and one for IPv6', () => {
    expect(SYN_COOKIE_MSS_TABLE).toEqual([536, 1300, 1440, 1460]);
    expect(SYN_COOKIE_MSS_TABLE_V6).toEqual([1220, 1420, 1440, 8940]);
  });

  it('round-trips every MSS class, rounding the offered MSS down to the table', () => {
    const v4Cases: [number, number][] = [
      [100, 536], [536, 536], [1299, 536], [1300, 1300], [1439, 1300], [1440, 1440], [1452, 1440], [1460, 1460], [8960, 1460], [65495, 1460],
    ];
    const v6Cases: [number, number][] = [
      [100, 1220], [1220, 1220], [1419, 1220], [1420, 1420], [1440, 1440], [1460, 1440], [8939, 1440], [8940, 8940], [65475, 8940],
    ];
    for (const [tuple, cases] of [[v4, v4Cases], [v6, v6Cases]] as const) {
      for (const [offered, encoded] of cases) {
        const { iss, mss } = cookies.initSequence(tuple, 123456, offered, 5_000);
        expect(mss).toBe(encoded);
        const { ack, seq } = finalAck(123456, iss);
        expect(cookies.check(tuple, ack, seq, 5_000)).toBe(encoded);
      }
    }
  });

  it('round-trips for any sequence number, 4-tuple and time within the first counter tick', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 0, max: 2 ** 40 }), fc.nat({ max: 0xffffffff }), (synSeq, port, now, addr) => {
        const tuple = { ...v4, remoteAddress: addr, remotePort: port };
        const { iss, mss } = cookies.initSequence(tuple, synSeq, 1460, now);
        const { ack, seq } = finalAck(synSeq, iss);
        expect(cookies.check(tuple, ack, seq, now + SYN_COOKIE_PERIOD_MS)).toBe(mss);
      }),
    );
  });

  it('expires: valid while the minute counter moved by at most 1 (MAX_SYNCOOKIE_AGE 2), not after', () => {
    const sent = 10 * SYN_COOKIE_PERIOD_MS + 59_999; // the last ms of minute 10
    const { iss } = cookies.initSequence(v4, 7, 1460, sent);
    const { ack, seq } = finalAck(7, iss);
    expect(synCookieTime(sent)).toBe(10);
    expect(cookies.check(v4, ack, seq, 11 * SYN_COOKIE_PERIOD_MS + 59_999)).toBe(1460);
    expect(cookies.check(v4, ack, seq, 12 * SYN_COOKIE_PERIOD_MS)).toBe(0);
    // A cookie from the future (clock mismatch) is refused as well.
    expect(cookies.check(v4, ack, seq, 9 * SYN_COOKIE_PERIOD_MS)).toBe(0);
  });

  it('rejects a tampered ACK, another 4-tuple, another SYN sequence number, another secret', () => {
    const { iss } = cookies.initSequence(v4, 1000, 1460, 0);
    const { ack, seq } = finalAck(1000, iss);
    let accepted = 0;
    // Bits 2..31: the hash and the counter. (Bits 0-1 hold the MSS index in the clear, after the
    // hash is added: flipping them decodes another table MSS, on Linux as here; the peer could
    // have offered that MSS anyway.)
    for (let bit = 2; bit < 32; bit++) if (cookies.check(v4, (ack ^ (1 << bit)) >>> 0, seq, 0) !== 0) accepted++;
    expect(accepted).toBe(0);
    expect(cookies.check({ ...v4, remotePort: 40001 }, ack, seq, 0)).toBe(0);
    // (The SYN's sequence number is added in the clear, so a change below 4 would only shift the index.)
    expect(cookies.check(v4, ack, seq + 1000, 0)).toBe(0);
    expect(new SynCookies(new Uint8Array(32)).check(v4, ack, seq, 0)).toBe(0);
  });

  it('accepts few random ACKs (about 4 in 2^24 per counter value)', () => {
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) if (cookies.check(v4, (i * 2654435761) >>> 0, 1, 0) !== 0) accepted++;
    expect(accepted).toBeLessThan(3);
  });
});

describe('options in the timestamp (cookie_init_timestamp / cookie_timestamp_decode)', () => {
  it('round-trips wscale 0..14 and none, SACK and ECN on and off', () => {
    for (const wscale of [undefined, ...Array.from({ length: 15 }, (_, i) => i)]) {
      for (const sackOk of [false, true]) {
        for (const ecnOk of [false, true]) {
          const ts = cookieInitTimestamp(1_000_000, { wscale, sackOk, ecnOk });
          expect(cookieTimestampDecode(ts)).toEqual({ wscale, sackOk, ecnOk });
        }
      }
    }
  });

  it('never returns a timestamp later than the clock, and stays within 64 ticks of it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 64, max: 0xffffffff }), fc.option(fc.integer({ min: 0, max: 14 }), { nil: undefined }), fc.boolean(), fc.boolean(), (now, wscale, sackOk, ecnOk) => {
        const ts = cookieInitTimestamp(now, { wscale, sackOk, ecnOk });
        expect(ts).toBeLessThanOrEqual(now);
        expect(now - ts).toBeLessThan(64);
        expect(cookieTimestampDecode(ts)).toEqual({ wscale, sackOk, ecnOk });
      }),
    );
  });

  it('matches Linux’s layout: wscale in bits 0-3 (15 = none), SACK bit 4, ECN bit 5', () => {
    expect(cookieInitTimestamp(0x1000, { wscale: 7, sackOk: true, ecnOk: false }) & 63).toBe(0x17);
    expect(cookieInitTimestamp(0x1000, { wscale: undefined, sackOk: false, ecnOk: true }) & 63).toBe(0x2f);
  });
});
