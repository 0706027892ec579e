// What tcplab needs to run an experiment: a TUN device and private network namespaces. As root
// it has both. As an ordinary user it can still get them inside a user namespace of its own
// (`unshare -rn`, where it is root over namespaces it creates), if the kernel allows
// unprivileged user namespaces and /dev/net/tun is readable and writable: then the command
// re-runs itself there. Otherwise it says plainly what is missing.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { USERNS_ENV } from './netns.js';

export type PrivilegeCheck =
  /** Root (or already inside tcplab's own user namespace): go ahead. */
  | { readonly kind: 'ready' }
  /** Not root, but `unshare -rn` works: run the same command again in there. */
  | { readonly kind: 'reexec' }
  | { readonly kind: 'unavailable'; readonly reason: string };

export function checkPrivileges(): PrivilegeCheck {
  if (process.platform !== 'linux') return { kind: 'unavailable', reason: `tcplab needs Linux's TUN devices and network namespaces (this is ${process.platform})` };
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch {
    return { kind: 'unavailable', reason: 'no readable and writable /dev/net/tun (the tun driver is missing, or the device is root-only here)' };
  }
  if (process.getuid?.() === 0 || process.env[USERNS_ENV] === '1') return { kind: 'ready' };
  const probe = spawnSync('unshare', ['-rn', 'true'], { stdio: 'pipe', encoding: 'utf8' });
  if (probe.error) return { kind: 'unavailable', reason: 'not root, and `unshare` (util-linux) is missing to make a user namespace' };
  if (probe.status !== 0) {
    return {
      kind: 'unavailable',
      reason: `not root, and this kernel refuses unprivileged user namespaces (unshare -rn: ${probe.stderr.trim() || `exit ${probe.status}`}): run as root, or allow them (sysctl kernel.unprivileged_userns_clone=1 / user.max_user_namespaces)`,
    };
  }
  return { kind: 'reexec' };
}

/** Run this very command again inside a new user and network namespace; resolves with its exit
 *  status. Signals from the terminal reach it directly (same process group). */
export function reexecInUserNamespace(): number {
  // The re-run dies with this process, even on SIGKILL, and takes its own children with it.
  const argv = ['setpriv', '--pdeathsig', 'KILL', process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const result = spawnSync('unshare', ['-rn', '--', ...argv], {
    stdio: 'inherit',
    env: { ...process.env, [USERNS_ENV]: '1' },
  });
  if (result.error) throw result.error;
  return result.status ?? (result.signal ? 128 + 15 : 1);
}
