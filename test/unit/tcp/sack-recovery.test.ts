import { describe, expect, test } from 'vitest';
import { established, IRS, ISS, synReceived } from './harness/index.js';

/** Our segment k (0-based) of 1460 bytes starts at ISS + 1 + 1460 k. */
const at = (k: number): number => ISS + 1 + 1460 * k;

describe('SACK-based loss recovery (RFC 6675) with the scoreboard', () => {
  function tenInFlight() {
    const r = established({ config: { tcpTimestamps: false }, win: 502 });
    r.write(10 * 1460);
    expect(r.out()).toHaveLength(10);
    return r;
  }

  test('two holes: both are retransmitted during one recovery, no RTO needed', () => {
    const r = tenInFlight();
    // Segments 0 and 3 are lost; the others arrive and are SACKed.
    r.inject({ flags: '.', seq: IRS + 1, ack: at(0), sack: [[at(1), at(2)]] });
    r.inject({ flags: '.', seq: IRS + 1, ack: at(0), sack: [[at(1), at(3)]] });
    r.inject({ flags: '.', seq: IRS + 1, ack: at(0), sack: [[at(4), at(5)], [at(1), at(3)]] });
    const first = r.out();
    expect(first[0]).toBe('Flags [.], seq 1001:2461, ack 5001, win 502, length 1460');
    expect(r.c.caState).toBe('recovery');
    for (let k = 6; k <= 10; k++) r.inject({ flags: '.', seq: IRS + 1, ack: at(0), sack: [[at(4), at(k)], [at(1), at(3)]] });
    const later = r.out();
    // RACK marks segment 3 lost once segment 4, sent after it, is SACKed (RFC 8985): with no
    // time between them that is already the third ACK.
    expect([...first, ...later].filter((l) => l.startsWith('Flags [.], seq 5381:6841'))).toHaveLength(1);
    // No SACKed segment is sent again.
    for (const line of [...first, ...later]) expect(line).not.toMatch(/seq (2461|3921|6841|8301):/);
    r.inject({ flags: '.', seq: IRS + 1, ack: at(10) });
    expect(r.c.caState).toBe('open');
    expect(r.c.counters.timeouts).toBe(0);
    expect(r.c.nextDeadline()).toBeUndefined();
  });

  test('after an RTO, SACKed segments are skipped when going back (RFC 6675 §5.1)', () => {
    const r = tenInFlight();
    r.inject({ flags: '.', seq: IRS + 1, ack: at(0), sack: [[at(1), at(2)]] });
    r.out();
    // (A tail loss probe may go first; then the timeout.)
    while (r.c.counters.timeouts === 0) r.advance(r.c.nextDeadline()! - r.now);
    expect(r.out().at(-1)).toBe('Flags [.], seq 1001:2461, ack 5001, win 502, length 1460');
    r.inject({ flags: '.', seq: IRS + 1, ack: at(1), sack: [[at(1), at(2)]] });
    const sent = r.out();
    expect(sent[0]).toBe('Flags [.], seq 3921:5381, ack 5001, win 502, length 1460');
  });

  test('a D-SACK from the receiver is not taken for new SACK information', () => {
    const r = tenInFlight();
    r.inject({ flags: '.', seq: IRS + 1, ack: at(2), sack: [[at(0), at(1)]] });
    expect(r.c.counters.dupAcksIn).toBe(0);
    r.expectNothing();
  });
});

describe('congestion control', () => {
  test('CUBIC by default, NewReno by option (net.ipv4.tcp_congestion_control)', () => {
    expect(established().c.congestionControl).toBe('cubic');
    expect(established({ config: { congestionControl: 'newreno' } }).c.congestionControl).toBe('newreno');
  });

  test('slow start: cwnd grows with every ACK and is reported as an event', () => {
    const r = established({ config: { tcpTimestamps: false }, win: 502 });
    expect(r.c.cwnd).toBe(10 * 1460);
    r.write(10 * 1460);
    r.inject({ flags: '.', seq: IRS + 1, ack: at(2) });
    expect(r.c.cwnd).toBe(12 * 1460);
    expect(r.events.some((e) => e.type === 'cwnd' && e.cwnd === 12 * 1460)).toBe(true);
  });

  test('more than one lost SYN-ACK/SYN: the initial window drops to one segment (Linux tcp_init_transfer)', () => {
    const r = synReceived({ config: { tcpTimestamps: false } });
    r.advance(3000);
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1 });
    expect(r.c.cwnd).toBe(1460);
  });
});

describe('restart after idle (RFC 5681 §4.1)', () => {
  test('cwnd falls back toward the initial window when sending again after an idle RTO, once', () => {
    const r = established({ config: { tcpTimestamps: false }, win: 502 });
    r.write(20 * 1460);
    for (let k = 2; k <= 20; k += 2) r.inject({ flags: '.', seq: IRS + 1, ack: at(k) });
    r.out();
    const grown = r.c.cwnd;
    expect(grown).toBeGreaterThan(10 * 1460);
    // Idle, with ACK-only traffic from the peer: cwnd is not touched until we send.
    r.advance(10_000);
    r.inject({ flags: 'P.', seq: IRS + 1, ack: at(20), payload: 10 });
    expect(r.c.cwnd).toBe(grown);
    r.write(100);
    expect(r.c.cwnd).toBe(10 * 1460);
  });
});
