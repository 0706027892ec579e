import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backedOffRto,
  dataRetransmitBudget,
  dataSchedule,
  dataTimedOut,
  orphanRetries,
  probe0Timeout,
  retransmitsTimedOut,
  synAckGiveUpTime,
  synAckRetransmitTimeout,
  synAckRetriesUnderPressure,
  synAckSchedule,
  synAckSendTimes,
  synAckTimedOut,
  synGiveUpTime,
  synMaxRetransmits,
  synRetransmitTimeout,
  synSchedule,
  synSendTimes,
  synTimedOut,
  tcpModelTimeout,
} from '../../../../src/tcp/timing/index.js';

const s = 1000;

describe('SYN retransmissions (Linux tcp_retransmit_timer / tcp_write_timeout in SYN-SENT)', () => {
  it('Linux 6.5+ defaults: SYNs at 0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s, ETIMEDOUT at 131 s', () => {
    expect(synSendTimes({ synRetries: 6, linearTimeouts: 4, rtoInitial: 1000 })).toEqual([0, 1000, 2000, 3000, 4000, 5000, 7000, 11000, 19000, 35000, 67000]);
    // The last SYN's timer is 64 s: 67 + 64 = 131.
    expect(synGiveUpTime({ synRetries: 6, linearTimeouts: 4, rtoInitial: 1000 })).toBe(131_000);
    expect(synSchedule()).toEqual({ sendTimes: [0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67].map((t) => t * s), giveUpAt: 131 * s });
  });

  it('the classic schedule (tcp_syn_linear_timeouts = 0): 0, 1, 3, 7, 15, 31, 63 s, fail at 127 s', () => {
    expect(synSendTimes({ linearTimeouts: 0 })).toEqual([0, 1, 3, 7, 15, 31, 63].map((t) => t * s));
    expect(synGiveUpTime({ linearTimeouts: 0 })).toBe(127 * s);
  });

  it('the timer after the n-th retransmission: 1 s five times, then doubling', () => {
    const timers = Array.from({ length: 11 }, (_, n) => synRetransmitTimeout(n));
    expect(timers).toEqual([1, 1, 1, 1, 1, 2, 4, 8, 16, 32, 64].map((t) => t * s));
    expect(Array.from({ length: 7 }, (_, n) => synRetransmitTimeout(n, { linearTimeouts: 0 }))).toEqual([1, 2, 4, 8, 16, 32, 64].map((t) => t * s));
  });

  it('gives up after tcp_syn_retries + tcp_syn_linear_timeouts retransmissions', () => {
    expect(synMaxRetransmits()).toBe(10);
    expect(synTimedOut(9, 67 * s)).toBe(false);
    expect(synTimedOut(10, 131 * s)).toBe(true);
  });

  it("also when Linux's time model of tcp_syn_retries runs out first (retransmits_timed_out from the first SYN)", () => {
    // tcp_syn_retries 2 with 4 linear timeouts: the count allows 6, but the model of 2
    // retransmissions from 1 s, (2 << 2) - 1 = 7 s, expires at the firing at 7 s.
    expect(synSchedule({ synRetries: 2, linearTimeouts: 4 })).toEqual({ sendTimes: [0, 1, 2, 3, 4, 5].map((t) => t * s), giveUpAt: 7 * s });
  });

  it('caps the timer at TCP_RTO_MAX', () => {
    expect(synSchedule({ synRetries: 8, linearTimeouts: 0 })).toEqual({ sendTimes: [0, 1, 3, 7, 15, 31, 63, 127, 247].map((t) => t * s), giveUpAt: 367 * s });
    expect(synRetransmitTimeout(20, { linearTimeouts: 0 })).toBe(120 * s);
  });

  it('TCP_USER_TIMEOUT replaces the model', () => {
    expect(synSchedule({ userTimeout: 10 * s })).toEqual({ sendTimes: [0, 1, 2, 3, 4, 5, 7].map((t) => t * s), giveUpAt: 11 * s });
  });
});

describe('SYN-ACK retransmissions (Linux reqsk_timer_handler)', () => {
  it('tcp_synack_retries 5: SYN-ACKs at 0, 1, 3, 7, 15, 31 s, the request dropped at 63 s', () => {
    expect(synAckSendTimes({ synackRetries: 5, rtoInitial: 1000 })).toEqual([0, 1, 3, 7, 15, 31].map((t) => t * s));
    expect(synAckGiveUpTime()).toBe(63 * s);
    expect(Array.from({ length: 6 }, (_, n) => synAckRetransmitTimeout(n))).toEqual([1, 2, 4, 8, 16, 32].map((t) => t * s));
    expect(synAckTimedOut(4)).toBe(false);
    expect(synAckTimedOut(5)).toBe(true);
  });

  it('other retry counts, capped at TCP_RTO_MAX', () => {
    expect(synAckSchedule({ synackRetries: 2 })).toEqual({ sendTimes: [0, 1000, 3000], giveUpAt: 7000 });
    expect(synAckRetransmitTimeout(9)).toBe(120 * s);
  });

  it('a crowded SYN queue gives old requests fewer retries, down to 2', () => {
    expect(synAckRetriesUnderPressure({ qlen: 3, young: 0, maxAckBacklog: 16 })).toBe(5);
    expect(synAckRetriesUnderPressure({ qlen: 10, young: 1, maxAckBacklog: 16 })).toBe(2);
    expect(synAckRetriesUnderPressure({ qlen: 10, young: 3, maxAckBacklog: 16 })).toBe(4);
    expect(synAckRetriesUnderPressure({ qlen: 10, young: 6, maxAckBacklog: 16 })).toBe(5);
  });
});

describe('data retransmissions (Linux tcp_model_timeout / retransmits_timed_out)', () => {
  it('tcp_retries2 = 15 is a budget of 924.6 s', () => {
    expect(tcpModelTimeout(15)).toBe(924_600);
    expect(dataRetransmitBudget()).toBe(924_600);
  });

  it('doubles up to the knee at 9, then adds TCP_RTO_MAX per retry', () => {
    const budget = (n: number): number => tcpModelTimeout(n, 200, 120_000);
    expect([3, 5, 8, 9, 10, 15, 20].map(budget)).toEqual([3000, 12_600, 102_200, 204_600, 324_600, 924_600, 1_524_600]);
    expect(tcpModelTimeout(6, 1000)).toBe(127_000);
  });

  it('is measured from the first retransmission and needs one', () => {
    expect(retransmitsTimedOut({ retransmits: 0, elapsed: 10_000_000, boundary: 15 })).toBe(false);
    expect(dataTimedOut({ retransmits: 16, elapsedSinceFirstRetransmit: 924_599 })).toBe(false);
    expect(dataTimedOut({ retransmits: 16, elapsedSinceFirstRetransmit: 924_600 })).toBe(true);
    expect(dataTimedOut({ retransmits: 1, elapsedSinceFirstRetransmit: 5000, userTimeout: 5000 })).toBe(true);
  });

  it('with a 200 ms RTO: 16 retransmissions, ETIMEDOUT one step after the budget', () => {
    const { sendTimes, giveUpAt } = dataSchedule({ rto: 200 });
    expect(sendTimes).toHaveLength(17);
    expect(sendTimes.slice(0, 5)).toEqual([0, 200, 600, 1400, 3000]);
    expect(sendTimes[16]).toBe(924_600);
    expect(giveUpAt).toBe(1_044_600);
  });

  it('a slower path fits fewer retransmissions in the same budget', () => {
    const count = (rto: number): number => dataSchedule({ rto }).sendTimes.length - 1;
    expect(count(200)).toBe(16);
    expect(count(1000)).toBeLessThan(16);
    expect(count(5000)).toBeLessThan(count(1000));
  });

  it('orphaned sockets: tcp_orphan_retries 0 means 8 while alive, a 102.2 s budget', () => {
    expect(orphanRetries({ alive: true })).toBe(8);
    expect(orphanRetries({ alive: false })).toBe(0);
    expect(orphanRetries({ alive: false, softError: true, tcpOrphanRetries: 3 })).toBe(0);
    expect(orphanRetries({ alive: true, tcpOrphanRetries: 3 })).toBe(3);
    expect(tcpModelTimeout(orphanRetries({ alive: true }))).toBe(102_200);
  });

  it('backoff helpers: doubling capped at TCP_RTO_MAX', () => {
    expect([0, 1, 2, 10].map((n) => backedOffRto(300, n))).toEqual([300, 600, 1200, 120_000]);
    expect(probe0Timeout(50, 0)).toBe(200);
    expect(probe0Timeout(300, 3)).toBe(2400);
    expect(probe0Timeout(300, 20)).toBe(120_000);
  });

  it('schedules are increasing, and the give-up comes after the last transmission', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 100, max: 5000 }), (synRetries, linearTimeouts, rtoInitial) => {
        const { sendTimes, giveUpAt } = synSchedule({ synRetries, linearTimeouts, rtoInitial });
        for (let i = 1; i < sendTimes.length; i++) expect(sendTimes[i]!).toBeGreaterThan(sendTimes[i - 1]!);
        expect(giveUpAt).toBeGreaterThan(sendTimes.at(-1)!);
        expect(sendTimes.length - 1).toBeLessThanOrEqual(synRetries + linearTimeouts);
      }),
    );
  });
});
