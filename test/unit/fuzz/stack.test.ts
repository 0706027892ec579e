// A slice of the host-stack fuzz target (test/fuzz/stack.ts); the long run is
// `npm run fuzz -- --target stack --runs 1000000`.
import fc from 'fast-check';
import { test } from 'vitest';
import { stackProperty } from '../../fuzz/stack.js';

test('the stack fed forged, mutated and random packets never throws and counts each one once', () => {
  fc.assert(stackProperty(), { numRuns: 150, seed: 8 });
});
