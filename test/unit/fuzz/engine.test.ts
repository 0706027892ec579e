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

// Cases the long runs found, shrunk by fast-check, kept as they were printed.
const FOUND: [string, EngineCase][] = [
  [
    'a SACK block 2^31 wide past SND.NXT, after a SYN-ACK with MSS 1 (seed 1322505)',
    {
      fixture: 'SYN-SENT',
      timestamps: false,
      sackOK: false,
      wscale: null,
      iss: 0,
      irs: 0,
      smallBuffers: true,
      ops: [
        { kind: 'mutated', len: 0, mutation: { field: 'synOptions', mss: 1, wscale: 0 } },
        { kind: 'write', n: 140 },
        { kind: 'mutated', len: 1, mutation: { field: 'sack', blocks: [[1110164436, -1037319212]] } },
      ],
    },
  ],
  [
    'the same block after MSS 1 and window scale 4',
    {
      fixture: 'SYN-SENT',
      timestamps: false,
      sackOK: false,
      wscale: null,
      iss: 0,
      irs: 0,
      smallBuffers: true,
      ops: [
        { kind: 'mutated', len: 0, mutation: { field: 'synOptions', mss: 1, wscale: 4 } },
        { kind: 'write', n: 6673 },
        { kind: 'mutated', len: 1, mutation: { field: 'sack', blocks: [[1110164436, -1037319212]] } },
      ],
    },
  ],
];

describe('cases found by the long fuzz runs', () => {
  test.each(FOUND)('%s', (_name, k) => {
    runEngineCase(k);
  });
});
