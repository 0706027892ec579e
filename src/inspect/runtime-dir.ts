// Where running tcplabs put their control sockets: a directory of the user's own
// ($XDG_RUNTIME_DIR/tcplab, or /tmp/tcplab-<uid>), mode 0700, one `<name>-<pid>.sock` per
// process, so that several run at once and `tcplab ss` from another terminal finds them. A
// socket whose process is gone is stale and removed when the directory is listed.
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export class RuntimeDirError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export interface RunningTcplab {
  /** What it is: serve, connect, tour, scenario... */
  readonly name: string;
  readonly pid: number;
  readonly path: string;
}

const SOCKET_NAME = /^([a-z][a-z0-9._-]*)-(\d+)\.sock$/;

function uid(): number {
  return process.getuid?.() ?? 0;
}

/**
 * The user's uid as the rest of the machine knows it. Inside the user namespace an unprivileged
 * tcplab re-runs itself in (`unshare -rn`) it is root, mapped from the real uid by
 * /proc/self/uid_map ("inside outside count" lines): the directory must be the one a
 * `tcplab ss` run outside looks in.
 */
function hostUid(): number {
  const inside = uid();
  try {
    for (const line of readFileSync('/proc/self/uid_map', 'utf8').split('\n')) {
      const [first, outside, count] = line.trim().split(/\s+/).map(Number);
      if (inside >= first && inside < first + count) return outside + (inside - first);
    }
  } catch {
    // no /proc: not Linux, or a sandbox; the uid is what getuid says
  }
  return inside;
}

/** The directory, whether or not it exists yet. */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg) {
    try {
      if (statSync(xdg).isDirectory()) return join(xdg, 'tcplab');
    } catch {
      // $XDG_RUNTIME_DIR set but missing (su without a login session): fall back to /tmp.
    }
  }
  return `/tmp/tcplab-${hostUid()}`;
}

/**
 * Creates the directory (0700) if needed and checks that it is ours and closed to others, as
 * nstat checks its history file: a directory someone else could write to could hold a socket
 * that answers in tcplab's place.
 */
export function ensureRuntimeDir(dir: string = runtimeDir()): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new RuntimeDirError(`${dir} is not a directory: remove it so tcplab can create its control directory there`, 'ENOTDIR');
  if (st.uid !== uid()) throw new RuntimeDirError(`${dir} belongs to uid ${st.uid}, not to you (uid ${uid()}): remove it, or set XDG_RUNTIME_DIR to a directory of your own`, 'EACCES');
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  return dir;
}

/** A valid control name: lowercase letters, digits, '.', '_' and '-', starting with a letter. */
export function checkControlName(name: string): string {
  if (!/^[a-z][a-z0-9._-]*$/.test(name) || name.length > 40) {
    throw new RuntimeDirError(`"${name}" cannot name a tcplab: use lowercase letters, digits, '.', '_' or '-', starting with a letter`, 'ERR_INVALID_ARG_VALUE');
  }
  return name;
}

export function socketPath(dir: string, name: string, pid: number = process.pid): string {
  return join(dir, `${checkControlName(name)}-${pid}.sock`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but is someone else's (a recycled pid); ESRCH: gone.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The tcplabs whose sockets are in `dir`, oldest pid first; stale sockets are removed. */
export function listRunning(dir: string = runtimeDir()): RunningTcplab[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const found: RunningTcplab[] = [];
  for (const file of names) {
    const m = SOCKET_NAME.exec(file);
    if (!m) continue;
    const pid = Number(m[2]);
    const path = join(dir, file);
    if (!alive(pid) || pid === 0) {
      rmSync(path, { force: true });
      continue;
    }
    found.push({ name: m[1], pid, path });
  }
  return found.sort((a, b) => a.pid - b.pid || a.name.localeCompare(b.name));
}
