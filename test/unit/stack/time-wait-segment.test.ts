import { describe, expect, it } from 'vitest';
import { parseIpAddress, type IpAddress } from '../../../src/wire/address.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../../src/wire/tcp.js';
import { TimeWaitTable, type TimeWaitEntry } from '../../../src/stack/time-wait-table.js';
import {
  TIME_WAIT_ISN_INCREMENT,
  timeWaitAck,
  timeWaitReopenIss,
  timeWaitReusable,
  timeWaitSegment,
} from '../../../src/stack/time-wait-segment.js';

const ip = (text: string): IpAddress => parseIpAddress(text)!;
const empty = new Uint8Array(0);

function setup(overrides: Partial<TimeWaitEntry> = {}, now = 0): { t: TimeWaitTable; slot: number } {
  const t = new TimeWaitTable({ seed: 5 });
  const slot = t.insert(
    {
      localAddress: ip('10.0.0.1'),
      localPort: 40000,
      remoteAddress: ip('10.0.0.2'),
      remotePort: 80,
      sndNxt: 5001,
      rcvNxt: 9001,
      rcvWnd: 64256,
      rcvWscale: 7,
      ...overrides,
    },
    now,
  );
  return { t, slot };
}

describe('a segment for a 4-tuple in TIME-WAIT (Linux tcp_timewait_state_process)', () => {
  it('re-ACKs a retransmitted FIN and restarts 2MSL (RFC 9293 §3.10.7.4)', () => {
    const { t, slot } = setup();
    const v = timeWaitSegment(t, slot, { flags: TCP_FIN | TCP_ACK, seq: 9000, payload: empty, tsVal: undefined }, 30_000);
    expect(v).toEqual({ action: 'ack', pawsRejected: false });
    expect(t.expiresAt(slot)).toBe(90_000);
    expect(timeWaitAck(t, slot, 0)).toEqual({ seq: 5001, ack: 9001, window: 502 });
    // The FIN is data-like: ACKed every time, never rate limited.
    expect(timeWaitSegment(t, slot, { flags: TCP_FIN | TCP_ACK, seq: 9000, payload: empty, tsVal: undefined }, 30_001).action).toBe('ack');
  });

  it('rate-limits ACKs to bare out-of-window duplicates (tcp_invalid_ratelimit 500 ms)', () => {
    const { t, slot } = setup();
    const dup = { flags: TCP_ACK, seq: 8000, payload: empty, tsVal: undefined };
    expect(timeWaitSegment(t, slot, dup, 1000).action).toBe('ack');
    expect(timeWaitSegment(t, slot, dup, 1499).action).toBe('drop');
    expect(timeWaitSegment(t, slot, dup, 1500).action).toBe('ack');
  });

  it('an in-window RST kills the entry (tcp_rfc1337 = 0), is ignored with tcpRfc1337', () => {
    const { t, slot } = setup();
    const rst = { flags: TCP_RST, seq: 9001, payload: empty, tsVal: undefined };
    expect(timeWaitSegment(t, slot, rst, 10)).toEqual({ action: 'kill' });
    expect(timeWaitSegment(t, slot, rst, 10, { tcpRfc1337: true })).toEqual({ action: 'drop', pawsRejected: false });
    expect(t.expiresAt(slot)).toBe(60_000);
  });

  it('an out-of-window RST is dropped', () => {
    const { t, slot } = setup();
    expect(timeWaitSegment(t, slot, { flags: TCP_RST, seq: 1234, payload: empty, tsVal: undefined }, 10).action).toBe('drop');
  });

  it('an in-window bare ACK restarts the timer silently', () => {
    const { t, slot } = setup();
    expect(timeWaitSegment(t, slot, { flags: TCP_ACK, seq: 9001, payload: empty, tsVal: undefined }, 20_000).action).toBe('drop');
    expect(t.expiresAt(slot)).toBe(80_000);
  });

  it('accepts a new SYN beyond RCV.NXT with ISN = SND.NXT + 65537 (RFC 1122 §4.2.2.13)', () => {
    const { t, slot } = setup();
    expect(timeWaitSegment(t, slot, { flags: TCP_SYN, seq: 9002, payload: empty, tsVal: undefined }, 1)).toEqual({ action: 'syn', iss: 5001 + TIME_WAIT_ISN_INCREMENT });
  });

  it('an old SYN (not beyond RCV.NXT, no timestamps) is answered with an ACK, timer untouched', () => {
    const { t, slot } = setup();
    expect(timeWaitSegment(t, slot, { flags: TCP_SYN, seq: 9001, payload: empty, tsVal: undefined }, 1000).action).toBe('ack');
    expect(t.expiresAt(slot)).toBe(60_000);
  });

  it('with timestamps: a SYN with a newer TSval is accepted even below RCV.NXT (RFC 6191)', () => {
    const { t, slot } = setup({ tsRecent: 1000, tsRecentStamp: 0 });
    expect(timeWaitSegment(t, slot, { flags: TCP_SYN, seq: 1, payload: empty, tsVal: 1001 }, 1)).toEqual({ action: 'syn', iss: 5001 + 65537 });
  });

  it('with timestamps: a SYN with an older TSval fails PAWS even beyond RCV.NXT', () => {
    const { t, slot } = setup({ tsRecent: 1000, tsRecentStamp: 0 });
    const v = timeWaitSegment(t, slot, { flags: TCP_SYN, seq: 20_000, payload: empty, tsVal: 999 }, 1);
    expect(v).toEqual({ action: 'ack', pawsRejected: true });
    expect(t.expiresAt(slot)).toBe(60_001); // a PAWS failure restarts the timer
  });

  it('with timestamps: the ACK echoes TS.Recent and sends the clock plus the offset', () => {
    const { t, slot } = setup({ tsRecent: 1000, tsRecentStamp: 0, tsOffset: 0xfffffff0 });
    expect(timeWaitAck(t, slot, 0x20)).toEqual({ seq: 5001, ack: 9001, window: 502, tsVal: 0x10, tsEcr: 1000 });
  });

  it('an in-window segment with a newer timestamp updates TS.Recent', () => {
    const { t, slot } = setup({ tsRecent: 1000, tsRecentStamp: 0 });
    timeWaitSegment(t, slot, { flags: TCP_ACK, seq: 9001, payload: empty, tsVal: 1500 }, 700);
    expect([t.tsRecent(slot), t.tsRecentStamp(slot)]).toEqual([1500, 700]);
  });

  it('a RST with an old timestamp is believed once TS.Recent is 60 s old (TCP_PAWS_MSL)', () => {
    const { t, slot } = setup({ tsRecent: 1000, tsRecentStamp: 0 });
    const rst = { flags: TCP_RST, seq: 9001, payload: empty, tsVal: 10 };
    expect(timeWaitSegment(t, slot, rst, 59_999).action).toBe('drop');
    expect(timeWaitSegment(t, slot, rst, 60_000).action).toBe('kill');
  });

  it('never gives ISN 0', () => {
    const { t, slot } = setup({ sndNxt: (2 ** 32 - 65537) >>> 0 });
    expect(timeWaitReopenIss(t, slot)).toBe(1);
  });
});

describe('tcp_tw_reuse (Linux tcp_twsk_unique)', () => {
  it('default 2: loopback only, with timestamps, after 1 s', () => {
    const lo = setup({ localAddress: ip('127.0.0.1'), remoteAddress: ip('127.0.0.1'), tsRecent: 1, tsRecentStamp: 0 });
    expect(timeWaitReusable(lo.t, lo.slot, 1000)).toBe(false);
    expect(timeWaitReusable(lo.t, lo.slot, 1001)).toBe(true);
    const net = setup({ tsRecent: 1, tsRecentStamp: 0 });
    expect(timeWaitReusable(net.t, net.slot, 5000)).toBe(false);
    expect(timeWaitReusable(net.t, net.slot, 5000, { tcpTwReuse: 1 })).toBe(true);
  });

  it('never without timestamps, never when disabled', () => {
    const noTs = setup({ localAddress: ip('127.0.0.1'), remoteAddress: ip('127.0.0.1') });
    expect(timeWaitReusable(noTs.t, noTs.slot, 5000, { tcpTwReuse: 1 })).toBe(false);
    const ts = setup({ tsRecent: 1 });
    expect(timeWaitReusable(ts.t, ts.slot, 5000, { tcpTwReuse: 0 })).toBe(false);
  });

  it('recognises IPv6 loopback', () => {
    const v6 = setup({ localAddress: ip('::1'), remoteAddress: ip('::1'), tsRecent: 1 });
    expect(timeWaitReusable(v6.t, v6.slot, 2000)).toBe(true);
    const mapped = setup({ localAddress: ip('::ffff:127.0.0.1'), remoteAddress: ip('fd00::2'), tsRecent: 1 });
    expect(timeWaitReusable(mapped.t, mapped.slot, 2000)).toBe(true);
  });
});
