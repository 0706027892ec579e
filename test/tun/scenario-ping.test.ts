// The "ping" scenario of the tour, end to end: its checks pass and its capture opens in
// tcpdump and tshark with every packet of the timeline.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runPing } from '../../src/lab/scenarios/ping.js';
import { describeTun } from './harness.js';

describeTun('scenario ping', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcplab-ping-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes its checks and leaves a capture tcpdump and tshark read', async () => {
    const pcap = join(dir, 'ping.pcap');
    const result = await runPing({ pcap });
    expect(result.checks.map((c) => [c.what, c.ok])).toEqual([
      ['ping -4 10.77.0.2: 3 replies', true],
      ['ping -6 fd00:77::2: 3 replies', true],
      ['kernel connect() to 10.77.0.2:80, where nothing listens: ECONNREFUSED', true],
    ]);
    expect(result.ok).toBe(true);
    expect(result.timeline.filter((l) => l.includes('echo reply'))).toHaveLength(6);
    expect(result.timeline.some((l) => l.startsWith('tcplab → kernel') && l.includes('Flags [R.], seq 0'))).toBe(true);

    const tcpdump = execFileSync('tcpdump', ['-nn', '-r', pcap], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(tcpdump.trimEnd().split('\n')).toHaveLength(result.timeline.length);
    const tshark = execFileSync('tshark', ['-r', pcap], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(tshark.trimEnd().split('\n')).toHaveLength(result.timeline.length);
    expect(tshark).not.toMatch(/malformed/i);
  });
});
