// tcplab against the Linux kernel over a real TUN device under each impairment of issue 8, in
// both directions: every byte arrives once and in order (sha256 at both ends), and under
// corruption the checksums catch every damaged packet. The full 100 MB runs, with goodput, are
// `npm run faults` (scripts/faults.ts); here each case moves a few megabytes to stay within the
// suite's time budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KernelPeer } from '../../src/lab/kernel-peer.js';
import { IMPAIRMENTS, impairedTransfer, type TransferDirection } from '../../scripts/lib/impaired-transfer.js';
import { describeTun } from './harness.js';

/** Bytes per case: enough for dozens of losses, duplicates, reorderings and corruptions each. */
const BYTES: Record<string, number> = {
  'loss 5%': 2_000_000,
  'duplication 5%': 4_000_000,
  'reordering 5%': 4_000_000,
  'corruption 1%': 4_000_000,
  'delay 50 ms ± 20 ms': 1_000_000,
};

const DIRECTIONS: readonly TransferDirection[] = ['kernel-to-tcplab', 'tcplab-to-kernel'];

describeTun('byte-exact transfers with the kernel under faults', (getNs) => {
  let peer: KernelPeer;
  let port = 5200;
  beforeAll(async () => {
    peer = await KernelPeer.start(getNs());
  });
  afterAll(async () => {
    await peer?.stop();
  });

  for (const c of IMPAIRMENTS) {
    describe(c.name, () => {
      for (const direction of DIRECTIONS) {
        it(`${direction}: byte-exact`, async () => {
          const bytes = BYTES[c.name]!;
          const r = await impairedTransfer({ ns: getNs(), peer, impairment: c.impairment, direction, bytes, seed: 7, port: port++, timeoutMs: 100_000, stallMs: 20_000 });
          expect({ received: r.received, sha256Match: r.sha256Match }).toEqual({ received: bytes, sha256Match: true });
          // The impairment really happened, in the data's direction.
          const dataDirection = direction === 'kernel-to-tcplab' ? r.faults.in : r.faults.out;
          if (c.impairment.loss) expect(dataDirection.lost).toBeGreaterThan(10);
          if (c.impairment.duplicate) expect(dataDirection.duplicated).toBeGreaterThan(10);
          if (c.impairment.reorder) expect(dataDirection.reordered).toBeGreaterThan(10);
          if (c.impairment.delayMs) expect(dataDirection.delayed).toBeGreaterThan(100);
          if (c.impairment.corrupt) {
            // Every corrupted packet was refused by a checksum (or a header check) at the end it
            // reached, under a named counter; none slipped through to the application.
            const { toTcplab, toKernel } = r.corruption;
            expect(toTcplab.injected + toKernel.injected).toBeGreaterThan(10);
            expect(toTcplab.caughtTotal).toBe(toTcplab.injected);
            // Linux drops a segment whose data offset a flip pushed past its end without any
            // counter (tcp_v4_rcv discard_it): those are told apart by where the bit flipped.
            expect(toKernel.caughtTotal + toKernel.uncounted).toBe(toKernel.injected);
          }
        });
      }
    });
  }
});
