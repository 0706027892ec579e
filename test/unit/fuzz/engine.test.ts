// A slice of the engine fuzz target (test/fuzz/engine.ts) in every state; the long run is
// `npm run fuzz -- --target engine --runs 1000000`.
import fc from 'fast-check';
import { describe, test } from 'vitest';
import { engineCaseArb, FIXTURE_NAMES, runEngineCase } from '../../fuzz/engine.js';

describe('the engine fed random, mutated and replayed segments keeps its invariants', () => {
  test.each(FIXTURE_NAMES)('%s', (fixture) => {
    fc.assert(fc.property(engineCaseArb([fixture]), runEngineCase), { numRuns: 60, seed: 8 });
  });
});
