// What the verbs of `tcplab` share.
import { InvalidArgumentError, type Command } from 'commander';
import { Netns } from '../lab/netns.js';
import { checkPrivileges, reexecInUserNamespace } from '../lab/privileges.js';

export function fail(message: string): never {
  process.stderr.write(`tcplab: ${message}\n`);
  process.exit(1);
}

/**
 * Scenarios, servers and clients need a TUN device and private namespaces. Not root: re-run
 * this command inside a user namespace of our own when the kernel allows it (and exit with its
 * status). Returns undefined when ready, or the reason nothing can be had.
 */
export function labPrivileges(): string | undefined {
  const check = checkPrivileges();
  if (check.kind === 'unavailable') return check.reason;
  if (check.kind === 'reexec') {
    process.stderr.write('tcplab: not root: running inside a user namespace of its own (unshare -rn)\n');
    process.exit(reexecInUserNamespace());
  }
  try {
    Netns.create('tcplab-probe-').destroy();
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

/** Like labPrivileges, for verbs that cannot do without: a plain one-line error. */
export function requirePrivileges(): void {
  const missing = labPrivileges();
  if (missing !== undefined) fail(`cannot run here: ${missing}`);
}

/** A commander argument parser for an integer in [min, max]. */
export function intArg(what: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`${what} must be an integer in ${min}..${max}`);
    return n;
  };
}

/** The options every verb that opens a lab host shares: the capture, the namespace and the two
 *  addresses on the TUN device. */
export function withLabHostOptions(command: Command): Command {
  return command
    .option('--pcap <file>', 'write a capture of every packet on the TUN device')
    .option('--netns <name>', 'use (or create) this network namespace instead of a private one')
    .option('--addr <cidr>', "tcplab's address and prefix on the TUN device", '10.77.0.2/24')
    .option('--peer-addr <ip>', "the kernel's address on the TUN device", '10.77.0.1');
}
