// What the verbs of `tcplab` share.
import { InvalidArgumentError } from 'commander';
import { Netns } from '../lab/netns.js';
import { checkPrivileges, reexecInUserNamespace } from '../lab/privileges.js';

export function fail(message: string): never {
  process.stderr.write(`tcplab: ${message}\n`);
  process.exit(1);
}

/**
 * Scenarios, servers and clients need a TUN device and private namespaces. Not root: re-run
 * this command inside a user namespace of our own when the kernel allows it (and exit with its
 * status); otherwise say plainly what is missing.
 */
export function requirePrivileges(): void {
  const check = checkPrivileges();
  if (check.kind === 'unavailable') fail(`cannot run here: ${check.reason}`);
  if (check.kind === 'reexec') {
    process.stderr.write('tcplab: not root: running inside a user namespace of its own (unshare -rn)\n');
    process.exit(reexecInUserNamespace());
  }
  try {
    Netns.create('tcplab-probe-').destroy();
  } catch (err) {
    fail(`cannot run here: ${(err as Error).message}`);
  }
}

/** A commander argument parser for an integer in [min, max]. */
export function intArg(what: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`${what} must be an integer in ${min}..${max}`);
    return n;
  };
}
