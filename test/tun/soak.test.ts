// Two minutes of the soak (scripts/lib/soak.ts; `npm run soak -- --minutes 30` is the long one):
// tcplab and the kernel connect to each other's echo servers over and over, three at a time
// each way, under 1% loss, every echo checked byte for byte; afterwards the heap has not trended
// up and no connection, timer, file descriptor or namespace is left.
import { expect, it } from 'vitest';
import { soak } from '../../scripts/lib/soak.js';
import { describeTun } from './harness.js';

describeTun('soak: two minutes of churn with the kernel', (getNs) => {
  it('loses no byte, leaks nothing, keeps a flat heap', async () => {
    const result = await soak({ ns: getNs(), durationMs: 120_000, concurrency: 3, sampleEveryMs: 5000 });
    const last = result.samples[result.samples.length - 1]!;
    process.stdout.write(
      `soak: ${result.exchanges.fromKernel} + ${result.exchanges.fromTcplab} exchanges, ${(result.bytes / 1e6).toFixed(1)} MB checked, ` +
        `heap ${(result.heapStart / 1048576).toFixed(1)} → ${(result.heapEnd / 1048576).toFixed(1)} MiB, ` +
        `${Math.max(...result.samples.map((s) => s.timeWait))} TIME-WAIT at most, ${last.connections} live at the end\n`,
    );
    expect(result.failures).toEqual([]);
    // Churn really happened both ways (hundreds of connections a minute even on a loaded machine).
    expect(result.exchanges.fromKernel).toBeGreaterThan(200);
    expect(result.exchanges.fromTcplab).toBeGreaterThan(200);
    expect(Math.max(...result.samples.map((s) => s.timeWait))).toBeGreaterThan(0);
  }, 240_000);
});
