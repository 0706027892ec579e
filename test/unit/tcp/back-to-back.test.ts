import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { runTransfer } from './harness/wire.js';

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe('two engines over a virtual wire', () => {
  test('1 MB, clean wire: byte-exact, both sides close (A ends in TIME-WAIT → CLOSED, B after LAST-ACK)', () => {
    const r = runTransfer({ bytes: 1 << 20, delay: 5 });
    expect(r.received.length).toBe(r.sent.length);
    expect(equalBytes(r.received, r.sent)).toBe(true);
    expect(r.b.stateName).toBe('CLOSED');
    expect(r.a.error).toBeUndefined();
    expect(r.b.error).toBeUndefined();
    const aStates = r.events.a.flatMap((e) => (e.type === 'state' ? [e.to] : []));
    expect(aStates).toEqual(['SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSED']);
    const bStates = r.events.b.flatMap((e) => (e.type === 'state' ? [e.to] : []));
    expect(bStates).toEqual(['SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSED']);
    expect(r.a.counters.retransSegs).toBe(0);
  });

  test('1 MB without timestamps, SACK or window scaling, with a slow reader', () => {
    const config = { tcpTimestamps: false, tcpSack: false, tcpWindowScaling: false, receiveBufferSize: 32768 };
    const r = runTransfer({ bytes: 1 << 20, configA: config, configB: config, readChunk: 5000 });
    expect(equalBytes(r.received, r.sent)).toBe(true);
  });

  test('1 MB with 2% loss and 10% reordering: byte-exact', () => {
    const r = runTransfer({ bytes: 1 << 20, loss: 0.02, reorder: 0.1, seed: 7 });
    expect(r.dropped).toBeGreaterThan(0);
    expect(equalBytes(r.received, r.sent)).toBe(true);
    expect(r.a.counters.retransSegs).toBeGreaterThan(0);
  });

  test.each([1, 2, 3])('10 MB with 5 percent loss and 10 percent reordering, seed %d: byte-exact', (seed) => {
    const r = runTransfer({ bytes: 10 << 20, loss: 0.05, reorder: 0.1, seed, delay: 10 });
    expect(r.received.length).toBe(r.sent.length);
    expect(equalBytes(r.received, r.sent)).toBe(true);
  }, 60_000);
});

describe('random impairments (fast-check)', () => {
  test('any seed, loss up to 25%, reordering, duplication, any buffer size, with or without options: byte-exact and both ends close', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.double({ min: 0, max: 0.25, noNaN: true }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.double({ min: 0, max: 0.2, noNaN: true }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 3000, max: 200_000 }),
        (seed, loss, reorder, duplicate, ts, sack, receiveBufferSize) => {
          const config = { tcpTimestamps: ts, tcpSack: sack, receiveBufferSize };
          const r = runTransfer({ bytes: 200_000, seed, loss, reorder, duplicate, configA: config, configB: config, delay: 3, readChunk: 3000, limit: 100_000_000 });
          expect(equalBytes(r.received, r.sent)).toBe(true);
          expect(r.a.stateName).toBe('CLOSED');
          expect(r.a.error).toBeUndefined();
          expect(['CLOSED', 'TIME-WAIT']).toContain(r.b.stateName);
        },
      ),
      { numRuns: 100, seed: 2024 },
    );
  }, 60_000);
});
