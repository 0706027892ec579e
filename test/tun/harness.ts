// Private-namespace harness for tests that need a real TUN device.
//
// Each test file calls `describeTun(...)`, which creates its own network namespace
// (src/lab/netns.ts, named `tcplab-t<pid>-<n>`), hands it to the tests, and deletes it
// in afterAll, or from a process exit hook if afterAll never ran. Nothing is ever added
// to the host's own namespace.
//
// Without privileges the suite skips with a one-line reason; with TCPLAB_REQUIRE_TUN=1
// (set by .ci/run) it fails instead, so CI can never go green on a suite that silently
// skipped its real tests.
import { accessSync, constants } from 'node:fs';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { Netns } from '../../src/lab/netns.js';

export const NETNS_PREFIX = 'tcplab-t';

export type Namespace = Netns;

interface Availability {
  available: boolean;
  reason: string;
}

let cachedAvailability: Availability | undefined;

/** Can this process create namespaces and TUN devices? Probed once, by doing it. */
export function tunAvailability(): Availability {
  cachedAvailability ??= probe();
  return cachedAvailability;
}

function probe(): Availability {
  if (process.platform !== 'linux') return { available: false, reason: `TUN tests need Linux (this is ${process.platform})` };
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch {
    return { available: false, reason: 'TUN tests need a readable and writable /dev/net/tun (the tun driver is missing or not accessible)' };
  }
  try {
    Netns.create(`${NETNS_PREFIX}probe-`).destroy();
  } catch (err) {
    return { available: false, reason: `TUN tests need a private network namespace: ${(err as Error).message}` };
  }
  return { available: true, reason: '' };
}

let skipAnnounced = false;

/** Say once per file, on one line, why the real-TUN tests are skipped. */
function announceSkip(reason: string): void {
  if (skipAnnounced) return;
  skipAnnounced = true;
  process.stderr.write(`tcplab: skipping real-TUN tests: ${reason} (set TCPLAB_REQUIRE_TUN=1 to fail instead)\n`);
}

/**
 * A describe block whose tests run in one private namespace created for this file.
 * `getNs()` returns it inside tests and hooks.
 */
export function describeTun(title: string, body: (getNs: () => Namespace) => void): void {
  const { available, reason } = tunAvailability();
  if (!available) {
    if (process.env.TCPLAB_REQUIRE_TUN === '1') {
      describe(title, () => {
        it('has a TUN device and a private namespace (TCPLAB_REQUIRE_TUN=1)', () => {
          throw new Error(`TCPLAB_REQUIRE_TUN=1 but ${reason}`);
        });
      });
    } else {
      announceSkip(reason);
      // The one sanctioned skip: no privileges, and nobody required them.
      // eslint-disable-next-line no-restricted-syntax
      describe.skip(`${title} (skipped: ${reason})`, () => body(() => {
        throw new Error('unreachable');
      }));
    }
    return;
  }
  describe(title, () => {
    let ns: Netns | undefined;
    beforeAll(() => {
      ns = Netns.create(NETNS_PREFIX);
    });
    afterAll(() => {
      ns?.destroy();
    });
    body(() => {
      if (!ns) throw new Error('namespace not created yet: call getNs() inside a test or hook');
      return ns;
    });
  });
}
