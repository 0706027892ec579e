// ICMP errors at the engine: the stack found the connection by the quoted 4-tuple and hands
// it a report; these scripts check what the connection makes of it in each state (Linux
// tcp_v4_err / tcp_v6_err, tcp_req_err, tcp_ld_RTO_revert, tcp_v4_mtu_reduced,
// tcp_simple_retransmit, tcp_write_err).
import { describe, expect, test } from 'vitest';
import { Connection } from '../../../src/tcp/connection.js';
import type { IcmpEvent } from '../../../src/tcp/events.js';
import type { IcmpReport } from '../../../src/tcp/icmp-report.js';
import type { TcpErrorCode } from '../../../src/tcp/errors.js';
import { parseIpAddress } from '../../../src/wire/address.js';
import { established, IRS, ISS, Rig, synReceived, synSent, timeWait } from './harness/index.js';

function unreachable(seq: number, name: string, error: TcpErrorCode, o: { revertsRto?: boolean; abortsRequest?: boolean } = {}): IcmpReport {
  return { action: 'error', name, error, seq: seq >>> 0, revertsRto: o.revertsRto ?? false, abortsRequest: o.abortsRequest ?? false };
}

const portUnreachable = (seq: number) => unreachable(seq, 'port-unreachable', 'ECONNREFUSED');
const hostUnreachable = (seq: number) => unreachable(seq, 'host-unreachable', 'EHOSTUNREACH', { revertsRto: true, abortsRequest: true });

function fragNeeded(seq: number, mtu: number, routeMtu = mtu): IcmpReport {
  return { action: 'path-mtu', name: 'frag-needed', seq: seq >>> 0, mtu, routeMtu, abortsRequest: false };
}

function icmpEvents(r: Rig): IcmpEvent[] {
  return r.events.filter((e): e is IcmpEvent => e.type === 'icmp');
}

describe('ICMP errors during the handshake', () => {
  test('port unreachable for our SYN fails the connect with ECONNREFUSED, sending nothing', () => {
    const r = synSent();
    expect(r.c.icmpError(portUnreachable(ISS), r.now)).toBe('aborted');
    r.drain();
    r.expectNothing().expectState('CLOSED');
    expect(r.c.error).toBe('ECONNREFUSED');
    expect(r.c.counters.attemptFails).toBe(1);
    expect(r.c.nextDeadline()).toBeUndefined();
    expect(icmpEvents(r)).toEqual([{ type: 'icmp', icmp: 'port-unreachable', seq: ISS, outcome: 'aborted', error: 'ECONNREFUSED', mss: 536, at: 0 }]);
  });

  test('host unreachable fails it too (Linux: EHOSTUNREACH at once, although RFC 1122 calls it soft)', () => {
    const r = synSent();
    r.advance(1000); // the SYN was retransmitted once
    expect(r.c.icmpError(hostUnreachable(ISS), r.now)).toBe('aborted');
    expect(r.c.error).toBe('EHOSTUNREACH');
    expect(r.c.counters.attemptFails).toBe(1);
    expect(r.transitions()).toEqual(['CLOSED>SYN-SENT', 'SYN-SENT>CLOSED']);
  });

  test('an error quoting anything but our SYN is out of window: the SYN keeps its schedule', () => {
    const r = synSent();
    expect(r.c.icmpError(portUnreachable(ISS - 1), r.now)).toBe('out-of-window');
    expect(r.c.icmpError(portUnreachable(ISS + 2), r.now)).toBe('out-of-window');
    r.expectState('SYN-SENT');
    r.advance(1000);
    r.expectFields([{ flags: 'S', seq: ISS }]);
  });

  test('a half-open passive connection (Linux request socket): only our exact ISN counts', () => {
    const r = synReceived();
    expect(r.c.icmpError(hostUnreachable(ISS + 1), r.now)).toBe('out-of-window');
    r.expectState('SYN-RECEIVED');
    // tcp_req_err's abort is false for port unreachable: nothing happens.
    expect(r.c.icmpError(portUnreachable(ISS), r.now)).toBe('ignored');
    r.expectState('SYN-RECEIVED');
    // Host unreachable drops the request silently: no error for accept() to report.
    expect(r.c.icmpError(hostUnreachable(ISS), r.now)).toBe('request-dropped');
    r.expectState('CLOSED');
    expect(r.c.error).toBeUndefined();
    r.drain();
    r.expectNothing();
  });

  test('TIME-WAIT takes no ICMP', () => {
    const r = timeWait();
    expect(r.c.icmpError(portUnreachable(ISS + 1), r.now)).toBe('ignored');
    r.expectState('TIME-WAIT');
  });
});

describe('ICMP errors on a synchronized connection are soft (RFC 1122 §4.2.3.9, Linux sk_err_soft)', () => {
  test('port unreachable for data in flight: the connection goes on; the error waits for a timeout', () => {
    const r = established({ config: { tcpTimestamps: false } });
    r.write(100);
    r.out();
    expect(r.c.icmpError(portUnreachable(ISS + 1), r.now)).toBe('soft-error');
    r.expectState('ESTABLISHED');
    expect(r.c.softError).toBe('ECONNREFUSED');
    expect(r.c.error).toBeUndefined();
    // tcp_retries2 runs out: tcp_write_err reports the soft error instead of ETIMEDOUT.
    r.advance(2_000_000);
    r.expectState('CLOSED');
    expect(r.c.error).toBe('ECONNREFUSED');
  });

  test('an acceptable ACK clears the soft error ("something worked"): the timeout says ETIMEDOUT', () => {
    const r = established({ config: { tcpTimestamps: false } });
    r.write(100);
    r.out();
    r.c.icmpError(unreachable(ISS + 1, 'time-exceeded', 'EHOSTUNREACH'), r.now);
    expect(r.c.softError).toBe('EHOSTUNREACH');
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 101 });
    expect(r.c.softError).toBeUndefined();
    r.write(100);
    r.advance(2_000_000);
    expect(r.c.error).toBe('ETIMEDOUT');
  });

  test('RFC 5927 §4.1: a quoted sequence number outside SND.UNA..SND.NXT changes nothing', () => {
    const r = established({ config: { tcpTimestamps: false } });
    r.write(100);
    r.out();
    for (const seq of [ISS, ISS + 102, ISS + 0x8000_0000]) {
      expect(r.c.icmpError(portUnreachable(seq), r.now)).toBe('out-of-window');
      expect(r.c.icmpError(fragNeeded(seq, 600), r.now)).toBe('out-of-window');
    }
    expect(r.c.softError).toBeUndefined();
    expect(r.c.sendMss).toBe(1460);
    r.drain();
    r.expectNothing();
    expect(icmpEvents(r).map((e) => e.outcome)).toEqual(Array(6).fill('out-of-window'));
    // SND.NXT itself is inside (Linux between(seq, snd_una, snd_nxt)).
    expect(r.c.icmpError(portUnreachable(ISS + 101), r.now)).toBe('soft-error');
  });

  test('a guess exactly 2^31 away is out of window too (unsigned offsets, as Linux between())', () => {
    const r = established();
    expect(r.c.icmpError(portUnreachable(ISS + 1 + 0x8000_0000), r.now)).toBe('out-of-window');
    expect(r.c.softError).toBeUndefined();
  });

  test('source quench and redirect are checked, then ignored', () => {
    const r = established();
    r.write(10);
    expect(r.c.icmpError({ action: 'ignore', name: 'source-quench', seq: ISS + 1, abortsRequest: false }, r.now)).toBe('ignored');
    expect(r.c.icmpError({ action: 'ignore', name: 'redirect', seq: ISS + 50, abortsRequest: false }, r.now)).toBe('out-of-window');
    expect(r.c.softError).toBeUndefined();
  });
});

describe('RFC 6069 / Linux tcp_ld_RTO_revert', () => {
  test('host unreachable for the retransmitted head undoes one backoff; the timer counts from the last retransmission', () => {
    const r = established({ config: { tcpTimestamps: false }, sackOK: false });
    const rto = r.c.rto;
    r.write(100);
    r.out();
    r.advance(rto); // first retransmission; RTO 2×
    r.advance(2 * rto); // second; RTO 4×
    expect(r.out()).toHaveLength(2);
    const lastRtx = r.now;
    expect(r.c.rto).toBe(4 * rto);
    r.advance(10);
    expect(r.c.icmpError(hostUnreachable(ISS + 1), r.now)).toBe('soft-error');
    expect(r.c.rto).toBe(2 * rto);
    expect(r.c.nextDeadline()).toBe(lastRtx + 2 * rto);
    expect(icmpEvents(r).at(-1)).toMatchObject({ outcome: 'soft-error', error: 'EHOSTUNREACH', rtoReverted: true });
    // Port unreachable does not revert, nor an error quoting a later segment.
    r.c.icmpError(portUnreachable(ISS + 1), r.now);
    expect(r.c.rto).toBe(2 * rto);
  });

  test('when the reverted RTO has already passed, the segment goes again at once', () => {
    const r = established({ config: { tcpTimestamps: false }, sackOK: false });
    const rto = r.c.rto;
    r.write(100);
    r.out();
    r.advance(rto);
    r.advance(2 * rto);
    r.out();
    r.advance(3 * rto); // the RTO is 4×: nothing yet
    r.expectNothing();
    r.c.icmpError(hostUnreachable(ISS + 1), r.now);
    expect(icmpEvents(r).at(-1)).toMatchObject({ outcome: 'soft-error', rtoReverted: true });
    r.drain();
    r.expectFields([{ seq: ISS + 1, len: 100 }]);
    expect(r.c.nextDeadline()).toBe(r.now + r.c.rto);
  });

  test('no revert without a backoff, nor for a segment other than SND.UNA', () => {
    const r = established({ config: { tcpTimestamps: false }, sackOK: false });
    const rto = r.c.rto;
    r.write(3000);
    r.out();
    r.c.icmpError(hostUnreachable(ISS + 1), r.now);
    expect(r.c.rto).toBe(rto);
    r.advance(rto);
    r.c.icmpError(hostUnreachable(ISS + 1461), r.now);
    expect(r.c.rto).toBe(2 * rto);
  });
});

describe('path MTU (RFC 1191, Linux tcp_v4_mtu_reduced + tcp_simple_retransmit)', () => {
  test('fragmentation needed lowers the MSS and resends the segments in flight at once, cwnd untouched', () => {
    const r = established({ config: { tcpTimestamps: false }, sackOK: false });
    r.write(10 * 1460);
    expect(r.out()).toHaveLength(10);
    const cwnd = r.c.cwnd;
    expect(r.c.icmpError(fragNeeded(ISS + 1 + 3 * 1460, 1200), r.now)).toBe('path-mtu');
    expect(r.c.sendMss).toBe(1160);
    expect(r.c.pathMtu).toBe(1200);
    r.drain();
    const sent = r.pending.map((s) => s.seg);
    r.pending = [];
    // 14600 bytes again in 1160-byte segments: 12 full ones and 680 bytes.
    expect(sent.map((s) => s.payload.length)).toEqual([...Array(12).fill(1160), 680]);
    expect(sent[0]!.seq).toBe(ISS + 1);
    expect(r.c.cwnd).toBe(cwnd);
    expect(r.c.caState).toBe('open');
    expect(r.c.counters.timeouts).toBe(0);
    expect(r.c.counters.retransSegs).toBe(13);
    expect(r.events.filter((e) => e.type === 'retransmission').every((e) => e.type === 'retransmission' && e.kind === 'pmtu')).toBe(true);
    expect(r.c.nextDeadline()).toBe(r.now + r.c.rto);
    expect(icmpEvents(r)).toEqual([{ type: 'icmp', icmp: 'frag-needed', seq: ISS + 1 + 3 * 1460, outcome: 'path-mtu', mtu: 1200, mss: 1160, at: r.now }]);
    // The peer gets it all; new data goes in the new size.
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1 + 10 * 1460 });
    r.write(3000);
    expect(r.out()).toEqual([
      'Flags [.], seq 15601:16761, ack 5001, win 502, length 1160',
      'Flags [.], seq 16761:17921, ack 5001, win 502, length 1160',
      'Flags [P.], seq 17921:18601, ack 5001, win 502, length 680',
    ]);
  });

  test('with timestamps the MSS is the path MTU less 52 (Linux tcp_mtu_to_mss less the options)', () => {
    const r = established({ timestamps: true });
    r.write(2 * 1448);
    r.out();
    r.c.icmpError(fragNeeded(ISS + 1, 1400), r.now);
    expect(r.c.sendMss).toBe(1400 - 40 - 12);
    r.drain();
    expect(r.pending.map((s) => s.seg.payload.length)).toEqual([1348, 1348, 200]);
  });

  test('a report that does not lower the route MTU changes nothing and resends nothing', () => {
    const r = established({ config: { tcpTimestamps: false } });
    r.write(1460);
    r.out();
    expect(r.c.icmpError(fragNeeded(ISS + 1, 9000, 1500), r.now)).toBe('path-mtu');
    r.drain();
    r.expectNothing();
    expect(r.c.sendMss).toBe(1460);
  });

  test('small segments in flight are not resent (they fit the new MTU)', () => {
    const r = established({ config: { tcpTimestamps: false } });
    r.write(100);
    r.out();
    r.c.icmpError(fragNeeded(ISS + 1, 1000), r.now);
    expect(r.c.sendMss).toBe(960);
    r.drain();
    r.expectNothing();
  });

  test('in SYN-SENT the MSS drops too; the SYN is not resent', () => {
    const r = synSent({ config: { tcpTimestamps: false } });
    expect(r.c.icmpError(fragNeeded(ISS, 1280), r.now)).toBe('path-mtu');
    r.drain();
    r.expectNothing();
    r.inject({ flags: 'S.', seq: IRS, ack: ISS + 1, mss: 1460, win: 65535 });
    expect(r.c.sendMss).toBe(1240);
  });

  test('a connection opened toward a known smaller path MTU advertises its own MSS but sends smaller segments', () => {
    const r = new Rig();
    r.c = Connection.connect(r.options({ tcpTimestamps: false }, { pmtu: 1200 }));
    r.drain();
    expect(r.out()[0]).toMatch(/mss 1460/);
    r.inject({ flags: 'S.', seq: IRS, ack: ISS + 1, mss: 1460, win: 65535 });
    expect(r.c.sendMss).toBe(1160);
  });

  test('a path MTU learned by another connection only resizes what is sent next', () => {
    const r = established({ config: { tcpTimestamps: false } });
    r.write(2 * 1460);
    r.out();
    expect(r.c.pathMtuChanged(1300, r.now, false)).toBe(true);
    r.drain();
    r.expectNothing();
    expect(r.c.sendMss).toBe(1260);
  });
});

describe('IPv6: Packet Too Big (RFC 8201, Linux tcp_v6_err / tcp_v6_mtu_reduced)', () => {
  const local = { address: parseIpAddress('fd00::1')!, port: 40000 };
  const remote = { address: parseIpAddress('fd00::2')!, port: 80 };

  function established6(): Rig {
    const r = new Rig();
    r.c = Connection.connect(r.options({ tcpTimestamps: false }, { local, remote, mss: 1440 }));
    r.drain();
    r.inject({ flags: 'S.', seq: IRS, ack: ISS + 1, mss: 1440, win: 65535 });
    r.pending = [];
    return r;
  }

  const tooBig = (seq: number, mtu: number): IcmpReport => ({ action: 'path-mtu', name: 'packet-too-big', seq, mtu, routeMtu: Math.max(mtu, 1280), abortsRequest: false });

  test('an MTU below 1280 is ignored; one that would not lower the MSS is ignored; 1400 gives MSS 1340', () => {
    const r = established6();
    r.write(3 * 1440);
    r.out();
    expect(r.c.icmpError(tooBig(ISS + 1, 1000), r.now)).toBe('ignored');
    expect(r.c.icmpError(tooBig(ISS + 1, 1500), r.now)).toBe('ignored');
    expect(r.c.sendMss).toBe(1440);
    expect(r.c.icmpError(tooBig(ISS + 1, 1400), r.now)).toBe('path-mtu');
    expect(r.c.sendMss).toBe(1340);
    r.drain();
    expect(r.pending.map((s) => s.seg.payload.length)).toEqual([1340, 1340, 1340, 300]);
  });
});
