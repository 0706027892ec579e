// A slice of the engine fuzz target (test/fuzz/engine.ts) in every state; the long run is
// `npm run fuzz -- --target engine --runs 1000000`.
import fc from 'fast-check';
import { describe, test } from 'vitest';
import { engineCaseArb, type EngineCase, FIXTURE_NAMES, runEngineCase } from '../../fuzz/engine.js';

describe('the engine fed random, mutated and replayed segments keeps its invariants', () => {
  test.each(FIXTURE_NAMES)('%s', (fixture) => {
    fc.assert(fc.property(engineCaseArb([fixture]), runEngineCase), { numRuns: 60, seed: 8 });
  });
});

// Cases the long runs found, shrunk by fast-check, kept as they were printed: a SYN-ACK with
// MSS 1 and window scale `wscale`, `n` bytes written, then an ACK with a SACK block 2^31 wide.
function sackBlockCase(wscale: number, n: number): EngineCase {
  return {
    fixture: 'SYN-SENT',
    timestamps: false,
    sackOK: false,
    wscale: null,
    iss: 0,
    irs: 0,
    smallBuffers: true,
    ops: [
      { kind: 'mutated', len: 0, mutation: { field: 'synOptions', mss: 1, wscale } },
      { kind: 'write', n },
      { kind: 'mutated', len: 1, mutation: { field: 'sack', blocks: [[1110164436, -1037319212]] } },
    ],
  };
}

const FOUND: [string, EngineCase][] = [
  ['a SACK block 2^31 wide past SND.NXT, after a SYN-ACK with MSS 1 (seed 1322505)', sackBlockCase(0, 140)],
  ['the same block after MSS 1 and window scale 4', sackBlockCase(4, 6673)],
];

describe('cases found by the long fuzz runs', () => {
  test.each(FOUND)('%s', (_name, k) => {
    runEngineCase(k);
  });
});
