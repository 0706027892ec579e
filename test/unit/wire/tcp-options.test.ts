import { describe, expect, it } from 'vitest';
import {
  buildTcpSegment,
  decodeTcpOptions,
  encodeTcpOptions,
  linuxSynOptions,
  linuxTcpOptions,
  parseTcp,
  TCP_ACK,
  TCP_SYN,
  tcpOptionsLength,
  type SackBlock,
  type TcpOption,
} from '../../../src/wire/index.js';
import { hex, toHex } from './hex.js';

function encode(options: readonly TcpOption[]): Uint8Array {
  const out = new Uint8Array(tcpOptionsLength(options));
  encodeTcpOptions(options, out, 0);
  return out;
}

/** A segment with these raw option bytes (padded), parsed. */
function segmentWith(raw: Uint8Array) {
  const r = parseTcp(buildTcpSegment({ srcPort: 1, dstPort: 2, seq: 0, flags: TCP_ACK, window: 0, options: raw }, 1, 2));
  if (!r.ok) throw new Error(r.reason);
  return r;
}

describe('Linux\'s option layout (tcp_options_write)', () => {
  it('a SYN: mss, sackOK+TS, nop, wscale — 02 04 05 b4 04 02 08 0a <tsval> <tsecr> 01 03 03 07', () => {
    const options = linuxSynOptions({ mss: 1460, sackPermitted: true, tsVal: 0x11223344, tsEcr: 0, windowScale: 7 });
    expect(toHex(encode(options))).toBe('020405b40402080a112233440000000001030307');
  });

  it('without SACK: two NOPs carry the timestamps', () => {
    expect(toHex(encode(linuxSynOptions({ mss: 1460, tsVal: 1, windowScale: 7 })))).toBe('020405b40101080a000000010000000001030307');
  });

  it('without timestamps: SACK-Permitted behind two NOPs', () => {
    expect(toHex(encode(linuxSynOptions({ mss: 1460, sackPermitted: true, windowScale: 7 })))).toBe('020405b40101040201030307');
  });

  it('a data segment: NOP NOP TS, then NOP NOP SACK blocks', () => {
    const options = linuxTcpOptions({ tsVal: 5, tsEcr: 6, sackBlocks: [{ left: 100, right: 200 }] });
    expect(toHex(encode(options))).toBe('0101080a00000005000000060101050a00000064000000c8');
  });

  it('nothing at all', () => {
    expect(linuxTcpOptions({})).toEqual([]);
    expect(encode([]).length).toBe(0);
  });
});

describe('SACK blocks (RFC 2018 §3)', () => {
  for (let n = 1; n <= 4; n++) {
    it(`${n} block${n > 1 ? 's' : ''}: length 2 + 8n, read back in order`, () => {
      const blocks: SackBlock[] = Array.from({ length: n }, (_, i) => ({ left: (0xfffffff0 + 1000 * i) >>> 0, right: (0xfffffff0 + 1000 * i + 500) >>> 0 }));
      const raw = encode([{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks }]);
      expect(raw[3]).toBe(2 + 8 * n);
      expect(raw.length).toBe(4 + 8 * n);
      const seg = segmentWith(raw);
      expect(seg.sackBlocks).toEqual(blocks);
      expect(seg.optionsMalformed).toBe(false);
      expect(decodeTcpOptions(raw).options[2]).toEqual({ kind: 'sack', blocks });
    });
  }

  it('5 blocks do not fit in 40 bytes', () => {
    const blocks = Array.from({ length: 5 }, () => ({ left: 1, right: 2 }));
    expect(() => encode([{ kind: 'sack', blocks }])).toThrow(RangeError);
  });

  it('with timestamps only 3 blocks fit (12 + 28 = 40 bytes), as Linux knows', () => {
    const three = Array.from({ length: 3 }, () => ({ left: 1, right: 2 }));
    expect(encode(linuxTcpOptions({ tsVal: 1, sackBlocks: three })).length).toBe(40);
    const four = Array.from({ length: 4 }, () => ({ left: 1, right: 2 }));
    expect(() => encode(linuxTcpOptions({ tsVal: 1, sackBlocks: four }))).toThrow(RangeError);
  });
});

describe('option encoding', () => {
  it('writes exactly the given order and pads with zeros (End of Option List)', () => {
    expect(toHex(encode([{ kind: 'window-scale', shift: 14 }]))).toBe('03030e00');
    expect(toHex(encode([{ kind: 'nop' }, { kind: 'window-scale', shift: 2 }]))).toBe('01030302');
    expect(toHex(encode([{ kind: 'mss', mss: 536 }, { kind: 'eol' }]))).toBe('0204021800000000');
    expect(toHex(encode([{ kind: 'sack-permitted' }]))).toBe('04020000');
    expect(toHex(encode([{ kind: 'unknown', optionKind: 34, data: hex('aabbccdd') }]))).toBe('2206aabbccdd0000');
  });

  it('decode(encode(list)) is the list, EOL included', () => {
    const list: TcpOption[] = [
      { kind: 'nop' },
      { kind: 'mss', mss: 9000 },
      { kind: 'unknown', optionKind: 30, data: hex('1081') },
      { kind: 'timestamps', tsVal: 0xffffffff, tsEcr: 1 },
      { kind: 'sack-permitted' },
      { kind: 'window-scale', shift: 0 },
      { kind: 'eol' },
    ];
    expect(decodeTcpOptions(encode(list))).toEqual({ options: list, malformed: false });
  });
});

describe('unknown options are kept and ignored', () => {
  it('MPTCP (30) and TFO (34) between known ones', () => {
    const raw = hex('0204 05b4 1e04 1081 2206 aabb ccdd 0402 0103 0307');
    const seg = segmentWith(raw);
    expect(seg.mss).toBe(1460);
    expect(seg.sackPermitted).toBe(true);
    expect(seg.windowScale).toBe(7);
    expect(seg.optionsMalformed).toBe(false);
    expect(seg.unknownOptions).toEqual([
      { kind: 'unknown', optionKind: 30, data: hex('1081') },
      { kind: 'unknown', optionKind: 34, data: hex('aabbccdd') },
    ]);
  });

  it('an experimental option with no data', () => {
    expect(segmentWith(hex('fe02 0101')).unknownOptions).toEqual([{ kind: 'unknown', optionKind: 254, data: new Uint8Array(0) }]);
  });
});

describe('malformed options: Linux keeps the segment and what it read (tcp_parse_options)', () => {
  it('a length below 2 stops the walk', () => {
    for (const raw of [hex('0204 05b4 0800 0101'), hex('0204 05b4 0801 0101')]) {
      const seg = segmentWith(raw);
      expect(seg.mss).toBe(1460);
      expect(seg.tsVal).toBeUndefined();
      expect(seg.optionsMalformed).toBe(true);
      const list = decodeTcpOptions(raw);
      expect(list).toEqual({ options: [{ kind: 'mss', mss: 1460 }], malformed: true });
    }
  });

  it('an option running past the header stops the walk', () => {
    const seg = segmentWith(hex('0204 05b4 080a 0000'));
    expect(seg.mss).toBe(1460);
    expect(seg.tsVal).toBeUndefined();
    expect(seg.optionsMalformed).toBe(true);
  });

  it('a kind octet with no room for its length stops the walk', () => {
    const seg = segmentWith(hex('0101 0103'));
    expect(seg.windowScale).toBeUndefined();
    expect(seg.optionsMalformed).toBe(true);
  });

  it('a known kind with the wrong length is skipped, kept as unknown, and the walk goes on', () => {
    const cases: [string, Uint8Array][] = [
      ['mss', hex('0203 05 01 0303 07 00')],
      ['window scale', hex('0304 0000 0303 0700')],
      ['SACK-permitted', hex('0403 00 01 0303 07 00')],
      ['timestamps', hex('0808 0000 0001 0000 0303 0700')],
      ['SACK (not 2 + 8n)', hex('0506 0000 0001 0303 0700')],
      ['SACK (no block)', hex('0502 0303 0700')],
    ];
    for (const [name, raw] of cases) {
      const seg = segmentWith(raw);
      expect(seg.optionsMalformed, name).toBe(true);
      expect(seg.windowScale, name).toBe(7); // read after the bad one
      expect(seg.mss, name).toBeUndefined();
      expect(seg.tsVal, name).toBeUndefined();
      expect(seg.sackPermitted, name).toBe(false);
      expect(seg.sackBlocks, name).toEqual([]);
      expect(seg.unknownOptions.length, name).toBe(1);
      expect(seg.unknownOptions[0].optionKind, name).toBe(raw[0]);
      expect(decodeTcpOptions(raw).malformed, name).toBe(true);
    }
  });

  it('End of Option List ends the walk: what follows is padding, not options', () => {
    const seg = segmentWith(hex('0000 0303 0700 0000'));
    expect(seg.windowScale).toBeUndefined();
    expect(seg.optionsMalformed).toBe(false);
    expect(decodeTcpOptions(hex('0100 0303')).options).toEqual([{ kind: 'nop' }, { kind: 'eol' }]);
  });

  it('a repeated option: the last one wins, as in Linux', () => {
    expect(segmentWith(hex('0204 0218 0204 05b4')).mss).toBe(1460);
  });

  it('the option summary does not leak from one segment into the next', () => {
    const withAll = segmentWith(encode(linuxSynOptions({ mss: 1460, sackPermitted: true, tsVal: 1, windowScale: 7 })));
    expect(withAll.mss).toBe(1460);
    const bare = parseTcp(buildTcpSegment({ srcPort: 1, dstPort: 2, seq: 0, flags: TCP_SYN, window: 0 }, 1, 2));
    expect(bare.ok && [bare.mss, bare.windowScale, bare.sackPermitted, bare.tsVal, bare.optionsMalformed]).toEqual([undefined, undefined, false, undefined, false]);
    expect(withAll.mss).toBe(1460);
  });
});
