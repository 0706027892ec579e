// Errors of the TUN device, shaped like Node's: argument errors carry Node's ERR_* codes
// and are thrown before any system call; system errors carry the errno name as `code`,
// a negative `errno`, the `syscall` and the `path`, and a message that says what to do.

/** A failed system call, like Node's own system errors (`err.code === 'EPERM'`, ...). */
export interface TunSystemError extends Error {
  code: string;
  /** Negative errno, as in Node (`-1` for EPERM). */
  errno?: number;
  syscall?: string;
  path?: string;
}

/** Errors whose `code` is one of Node's ERR_* argument codes, or ERR_TUN_*. */
export interface TunCodedError extends Error {
  code: string;
}

export const CAP_NET_ADMIN_HINT = 'needs CAP_NET_ADMIN: run as root, or inside `unshare -rn` with a readable /dev/net/tun';
export const TUN_MISSING_HINT = 'the tun driver is missing (no /dev/net/tun: modprobe tun)';

function coded<E extends Error>(err: E, code: string): E & { code: string } {
  return Object.assign(err, { code });
}

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an instance of Array';
  return `type ${typeof value}`;
}

/** ERR_INVALID_ARG_TYPE (TypeError). */
export function invalidArgType(name: string, expected: string, actual: unknown): TunCodedError {
  return coded(new TypeError(`The "${name}" property must be ${expected}. Received ${show(actual)}`), 'ERR_INVALID_ARG_TYPE');
}

/** ERR_INVALID_ARG_VALUE (TypeError, as in Node). */
export function invalidArgValue(name: string, actual: unknown, reason: string): TunCodedError {
  return coded(new TypeError(`The property '${name}' ${reason}. Received ${show(actual)}`), 'ERR_INVALID_ARG_VALUE');
}

/** ERR_OUT_OF_RANGE (RangeError). */
export function outOfRange(name: string, range: string, actual: unknown): TunCodedError {
  return coded(new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${show(actual)}`), 'ERR_OUT_OF_RANGE');
}

/** ERR_TUN_CLOSED: the device was used after close(). */
export function tunClosed(name: string, method: string): TunCodedError {
  return coded(new Error(`${method}: the TUN device ${name} is closed`), 'ERR_TUN_CLOSED');
}

/** ERR_TUN_ADDON: the native addon is not built or does not load. */
export function addonMissing(path: string, cause: unknown): TunCodedError {
  const detail = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  return coded(
    new Error(`the tcplab native addon ${path} does not load (${detail}): build it with \`npm run build\` (node-gyp rebuild)`, { cause }),
    'ERR_TUN_ADDON',
  );
}

/** The shape of a system error thrown by the addon (see native/addon.cc). */
interface RawSystemError {
  code: string;
  errno?: number;
  syscall?: string;
  path?: string;
  message: string;
}

function isRaw(err: unknown): err is RawSystemError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string';
}

/** Advice for a failure of one step of opening a device, or undefined for the plain message. */
function advice(code: string, syscall: string, path: string): string | undefined {
  if (syscall === 'poll' || syscall === 'read') {
    return `the device ${path} went away (deleted with \`ip link del\`?): the TUN device is closed; open a new one`;
  }
  const tunOpen = syscall === 'open' && path === '/dev/net/tun';
  if ((code === 'ENOENT' || code === 'ENODEV' || code === 'ENXIO') && tunOpen) return TUN_MISSING_HINT;
  if (syscall === 'setns') {
    if (code === 'EPERM') return `entering the network namespace ${path} needs CAP_SYS_ADMIN: run as root`;
    if (code === 'EINVAL') return `${path} is not a network namespace`;
  }
  if (syscall === 'open' && path !== '/dev/net/tun' && path.startsWith('/')) {
    if (code === 'ENOENT') return `the network namespace ${path} does not exist (create it with \`ip netns add NAME\`)`;
  }
  if (code === 'EACCES' && syscall.startsWith('ioctl(SIOCSIFADDR)') && path.includes(':')) {
    return `cannot add ${path}: IPv6 is disabled in that namespace (sysctl net.ipv6.conf.all.disable_ipv6=1)`;
  }
  if (code === 'EPERM' || code === 'EACCES') return CAP_NET_ADMIN_HINT;
  if (syscall === 'ioctl(TUNSETIFF)') {
    if (code === 'EBUSY') return `a TUN device named ${path} already exists and is attached to another process: pick another name`;
    if (code === 'EINVAL') return `the name ${path} is taken by a device that is not a TUN device, or is not a valid name`;
    if (code === 'EEXIST') return `the name ${path} is taken: pick another name`;
  }
  if (code === 'EEXIST' && syscall === 'ioctl(SIOCSIFADDR)') return `the address ${path} is already configured in that namespace`;
  if (code === 'ENAMETOOLONG') return `a further IPv4 address needs the alias label ${path}, longer than 15 characters: use a shorter device name`;
  if (code === 'EAFNOSUPPORT' && syscall === 'socket(AF_INET6)') return 'this kernel has no IPv6: drop the IPv6 addresses';
  return undefined;
}

/** Turns an error thrown by the addon into a Node-style error with an actionable message. */
export function fromAddonError(err: unknown): Error {
  if (!isRaw(err) || err.code.startsWith('ERR_')) return err instanceof Error ? err : new Error(String(err));
  const syscall = err.syscall ?? '';
  const path = err.path ?? '';
  const hint = advice(err.code, syscall, path);
  const message = hint === undefined ? err.message : `${err.message}: ${hint}`;
  const out = new Error(message) as TunSystemError;
  out.code = err.code;
  if (err.errno !== undefined) out.errno = err.errno;
  if (err.syscall !== undefined) out.syscall = err.syscall;
  if (err.path !== undefined) out.path = err.path;
  return out;
}
