// Every scenario of the tour, with --quick timings: its checks pass, tcplab and the kernel
// reach the states DESIGN.md's table promises, and its capture opens cleanly in tshark.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runScenario } from '../../src/lab/scenario-runner.js';
import { SCENARIOS } from '../../src/lab/scenarios/index.js';
import { describeTun } from './harness.js';

describeTun('the tour, scenario by scenario (--quick)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcplab-scenarios-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: ${scenario.summary}`, async () => {
      const pcap = join(dir, `${scenario.name}.pcap`);
      const result = await runScenario(scenario, { quick: true, pcap });
      const failed = result.checks.filter((c) => !c.ok);
      expect(failed, `${scenario.name} timeline:\n${result.timeline.join('\n')}`).toEqual([]);
      expect(result.ok).toBe(true);
      for (const state of scenario.expect.tcplab) expect(result.tcplabStates).toContain(state);
      for (const state of scenario.expect.kernel) expect(result.kernelStates).toContain(state);
      // The capture: every packet that crossed the device, readable, nothing malformed.
      const tshark = (...args: string[]): string[] =>
        execFileSync('tshark', ['-r', pcap, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 })
          .split('\n')
          .filter((l) => l.trim() !== '');
      expect(tshark('-T', 'fields', '-e', 'frame.number')).toHaveLength(result.packets);
      expect(tshark('-Y', '_ws.malformed')).toEqual([]);
      // The timeline shows each packet or counts it in a fold line.
      const shown = result.timeline.filter((l) => / (tcplab → kernel|kernel → tcplab) {2}/.test(l) && !/✂|⧗|⧉|⏸|▶/.test(l)).length;
      const folded = result.timeline.reduce((n, l) => n + Number(/…\s+(\d+) more data\/ACK packets/.exec(l)?.[1] ?? 0), 0);
      expect(shown + folded).toBe(result.packets);
    }, 60_000);
  }
});
