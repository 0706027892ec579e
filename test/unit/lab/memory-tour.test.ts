// The tour where no kernel can be had: every scenario that needs no kernel tool runs with a
// second tcplab stack at the other end, over an in-memory link, with --quick timings. Its
// checks pass and both ends reach the states DESIGN.md's table promises.
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../src/lab/scenario-runner.js';
import { SCENARIOS } from '../../../src/lab/scenarios/index.js';

describe('the tour over the in-memory link (--memory)', () => {
  it('skips exactly the scenarios that run kernel tools, saying which', () => {
    expect(SCENARIOS.filter((s) => s.needsKernel !== undefined).map((s) => s.name).sort()).toEqual(['curl-timeout', 'ping', 'time-wait-pileup']);
  });

  for (const scenario of SCENARIOS.filter((s) => s.needsKernel === undefined)) {
    it(`${scenario.name}: ${scenario.summary}`, async () => {
      const result = await runScenario(scenario, { quick: true, link: 'memory' });
      expect(result.link).toBe('memory');
      expect(result.checks.filter((c) => !c.ok), result.timeline.join('\n')).toEqual([]);
      for (const state of scenario.expect.tcplab) expect(result.tcplabStates).toContain(state);
      // The peer's states come from its socket table, spelled as ss spells them (as expected).
      for (const state of scenario.expect.kernel) expect(result.kernelStates).toContain(state);
      expect(result.packets).toBeGreaterThan(0);
    }, 60_000);
  }
});
