// What the verbs of `tcplab` share.
import { InvalidArgumentError } from 'commander';
import { Netns } from '../lab/netns.js';
import { tunAvailable } from '../link/tun-device.js';

export function fail(message: string): never {
  process.stderr.write(`tcplab: ${message}\n`);
  process.exit(1);
}

/** Scenarios and servers need a TUN device and a private namespace: say plainly what is missing. */
export function requirePrivileges(): void {
  const tun = tunAvailable();
  if (!tun.ok) fail(`cannot run here: ${tun.reason}`);
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
