// The soak's verdict (scripts/lib/soak.ts) on made-up samples: it must catch a heap that grows,
// anything left behind and any failed exchange, and pass a heap that only wobbles.
import { describe, expect, it } from 'vitest';
import { judgeSoak, slope, type SoakSample, type SoakVerdictInput } from '../../../scripts/lib/soak.js';

const MiB = 1024 * 1024;

function samples(heapAt: (minute: number) => number, minutes = 30): SoakSample[] {
  return Array.from({ length: minutes * 6 + 1 }, (_, k) => {
    const t = k * 10;
    return { t, heapUsed: heapAt(t / 60), rss: 200 * MiB, connections: 8, timeWait: 500, timers: 3, fds: 28, namespaces: 1, fromKernel: k * 50, fromTcplab: k * 50 };
  });
}

const clean: Omit<SoakVerdictInput, 'samples'> = {
  errors: [],
  exchanges: { fromKernel: 9000, fromTcplab: 9000 },
  before: { timers: 2, fds: 27, namespaces: 1 },
  after: { connections: 0, timers: 2, fds: 27, namespaces: 1, kernelSockets: 0 },
  durationMs: 30 * 60_000,
};

describe('the soak verdict', () => {
  it('passes a flat heap that wobbles by a few MiB', () => {
    expect(judgeSoak({ ...clean, samples: samples((m) => 16 * MiB + Math.sin(m * 7) * 3 * MiB) })).toEqual([]);
  });

  it('fails a heap that leaks 1 MiB a minute', () => {
    const failures = judgeSoak({ ...clean, samples: samples((m) => 16 * MiB + m * MiB) });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/^heap trends up: 1024 KiB\/min/);
  });

  it('ignores the warm-up (the first fifth), where TIME-WAIT fills', () => {
    expect(judgeSoak({ ...clean, samples: samples((m) => (m < 5 ? 4 * MiB + m * 3 * MiB : 19 * MiB)) })).toEqual([]);
  });

  it('fails on a failed exchange, leftovers and a direction that never ran', () => {
    const failures = judgeSoak({
      ...clean,
      samples: samples(() => 16 * MiB),
      errors: ['tcplab client: echo of 10 bytes came back as 9 bytes'],
      exchanges: { fromKernel: 0, fromTcplab: 10 },
      after: { connections: 2, timers: 3, fds: 29, namespaces: 2, kernelSockets: 0 },
    });
    expect(failures).toEqual([
      '1 exchanges failed, first: tcplab client: echo of 10 bytes came back as 9 bytes',
      'no exchange completed one way (kernel → tcplab 0, tcplab → kernel 10)',
      '2 tcplab connections left after TIME-WAIT',
      '1 timers left',
      '2 file descriptors left',
      '1 namespaces left',
    ]);
  });

  it('slope is the least-squares slope', () => {
    expect(slope([0, 1, 2, 3], [1, 3, 5, 7])).toBe(2);
    expect(slope([0], [5])).toBe(0);
  });
});
