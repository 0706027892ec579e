import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCongestionControl, type CongestionControl } from '../../../../src/tcp/congestion/index.js';
import { Sim } from './sim.js';

const MSS = 1000;
const ISS = 1000;

/** The invariants, checked cheaply (expect() only to report a violation). */
function invariants(cc: CongestionControl, flightSize: number): void {
  const ok =
    cc.cwnd >= MSS && // at least one segment
    cc.ssthresh >= 2 * MSS && // at least two
    Number.isInteger(cc.cwnd) &&
    cc.sendQuota({ flightSize }) >= 0 &&
    (cc.caState === 'open' || cc.caState === 'disorder' || cc.recover !== undefined);
  if (!ok) expect(cc.snapshot()).toBe('within the invariants');
}

const setup = fc.record({
  name: fc.constantFrom('cubic' as const, 'newreno' as const),
  recoveryWindow: fc.constantFrom('prr' as const, 'newreno' as const),
  slowStartExit: fc.constantFrom('hystart' as const, 'hystart++' as const, 'off' as const),
});

describe('congestion control properties', () => {
  it('on lossy paths: cwnd >= 1 segment, ssthresh >= 2 segments, and the transfer makes progress', () => {
    fc.assert(
      fc.property(
        setup,
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 20, max: 300 }),
        (s, rtt, seed, lossPercent, rwnd) => {
          let state = seed;
          const random = (): number => {
            state = (Math.imul(state, 1103515245) + 12345) >>> 0;
            return state / 2 ** 32;
          };
          const cc = createCongestionControl(s.name, MSS, s);
          const sim = new Sim(cc, { rtt, rwnd: rwnd * MSS, drop: () => random() * 100 < lossPercent });
          sim.run(Number.POSITIVE_INFINITY, () => invariants(cc, sim.flightSize), 5000);
          expect(sim.sndUna).toBeGreaterThan(ISS);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('under arbitrary, even inconsistent, event sequences the invariants still hold', () => {
    const event = fc.oneof(
      fc.record({ kind: fc.constant('ack' as const), acked: fc.integer({ min: 0, max: 60 }), flight: fc.integer({ min: 0, max: 100 }), rtt: fc.option(fc.integer({ min: 0, max: 500 }), { nil: undefined }), pipe: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }), loss: fc.boolean() }),
      fc.record({ kind: fc.constant('dup' as const), flight: fc.integer({ min: 0, max: 100 }), pipe: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }), loss: fc.boolean() }),
      fc.record({ kind: fc.constant('sent' as const), segments: fc.integer({ min: 0, max: 40 }), retransmission: fc.boolean() }),
      fc.record({ kind: fc.constant('rto' as const) }),
      fc.record({ kind: fc.constant('idle' as const), idle: fc.integer({ min: 0, max: 20_000 }) }),
    );
    fc.assert(
      fc.property(setup, fc.integer({ min: 0, max: 3 }), fc.array(event, { maxLength: 120 }), (s, handshakeRetransmits, events) => {
        const cc = createCongestionControl(s.name, MSS, s);
        let now = 0;
        let sndUna = ISS;
        let sndNxt = ISS;
        cc.onEstablished({ now, sndNxt, handshakeRetransmits });
        for (const e of events) {
          now += 7;
          if (e.kind === 'ack') {
            sndUna += e.acked * MSS;
            if (sndNxt < sndUna) sndNxt = sndUna;
            cc.onAck({ now, ackNo: sndUna, sndNxt, acked: e.acked * MSS, flightSize: e.flight * MSS, ...(e.pipe === undefined ? {} : { pipe: e.pipe * MSS }), rtt: e.rtt, lossDetected: e.loss });
          } else if (e.kind === 'dup') {
            cc.onDupAck({ now, ackNo: sndUna, sndNxt, flightSize: e.flight * MSS, ...(e.pipe === undefined ? {} : { pipe: e.pipe * MSS }), lossDetected: e.loss });
          } else if (e.kind === 'sent') {
            if (!e.retransmission) sndNxt += e.segments * MSS;
            cc.onDataSent({ now, bytes: e.segments * MSS, retransmission: e.retransmission, sndUna, sndNxt, flightSize: sndNxt - sndUna });
          } else if (e.kind === 'rto') {
            cc.onRetransmissionTimeout({ now, sndUna, sndNxt, flightSize: sndNxt - sndUna });
          } else {
            now += e.idle;
            cc.restartAfterIdle({ now, rto: 1000, flightSize: 0 });
          }
          invariants(cc, sndNxt - sndUna);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('ssthresh only falls on a congestion event (fast retransmit, RTO) or a slow-start exit', () => {
    fc.assert(
      fc.property(setup, fc.integer({ min: 5, max: 200 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (s, rtt, seed) => {
        let state = seed;
        const cc = createCongestionControl(s.name, MSS, {
          ...s,
          onChange: (c) => {
            if (c.ssthresh < c.previous.ssthresh) expect(['enter-recovery', 'timeout', 'slow-start-exit']).toContain(c.cause);
          },
        });
        const sim = new Sim(cc, {
          rtt,
          rwnd: 150 * MSS,
          drop: () => {
            state = (Math.imul(state, 1103515245) + 12345) >>> 0;
            return state % 50 === 0;
          },
        });
        sim.run(Number.POSITIVE_INFINITY, undefined, 3000);
      }),
      { numRuns: 40 },
    );
  });
});
