// Private network namespaces: every experiment, test and benchmark runs inside one, so
// nothing it does is visible on, or routed through, the host's own interfaces.
//
// A namespace made here is removed by `destroy()`, and otherwise when the process exits
// (also on SIGINT/SIGTERM): child processes started in it are killed by PID first.
//
// Two kinds: as root, a named namespace (`ip netns add`, entered with `ip netns exec`); inside
// the user namespace tcplab re-runs itself in when it is not root (`unshare -rn`, see
// src/lab/privileges.ts), where /var/run/netns cannot be mounted, an anonymous one held open by a
// process (`unshare -n sleep`) and entered through /proc/PID/ns/net with nsenter.
import { execFile, execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readlinkSync } from 'node:fs';

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface ExecOptions {
  timeoutMs?: number;
  input?: string;
}

export class NetnsError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}

const live = new Map<string, Netns>();
let hooksInstalled = false;
let counter = 0;

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const ns of [...live.values()]) ns.destroy();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const ns of [...live.values()]) ns.destroy();
      // Re-raise so the process ends the way the signal asked, unless someone else handles it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/** Linux's stock TCP buffer sizes: a namespace copies the host's, which may differ (wscale). */
const STOCK_SYSCTLS = ['net.ipv4.tcp_rmem=4096 131072 6291456', 'net.ipv4.tcp_wmem=4096 16384 4194304'];

/** Set in the user namespace tcplab re-runs itself in (src/lab/privileges.ts). */
export const USERNS_ENV = 'TCPLAB_USERNS';

export class Netns {
  readonly name: string;
  private readonly children = new Set<ChildProcess>();
  private destroyed = false;
  /** A namespace that existed before tcplab attached to it stays when tcplab is done. */
  private keep = false;
  /** An anonymous namespace: the process that holds it open. */
  private holder: ChildProcess | undefined;

  private constructor(name: string) {
    this.name = name;
  }

  /**
   * Create a namespace named `<prefix><pid>-<n>` with loopback up and stock TCP sysctls.
   * Throws NetnsError with code EPERM (and what to do) without CAP_NET_ADMIN.
   */
  static create(prefix = 'tcplab-'): Netns {
    installHooks();
    // A test run tags its namespaces (TCPLAB_NETNS_TAG) so that its leak check counts only its
    // own, whatever else runs on the machine at the same time.
    const tag = process.env.TCPLAB_NETNS_TAG;
    const name = `${prefix}${tag ? `${tag}-` : ''}${process.pid}-${++counter}`;
    const ns = new Netns(name);
    if (process.env[USERNS_ENV] === '1') {
      ns.holder = holdNamespace(name);
    } else {
      try {
        execFileSync('ip', ['netns', 'add', name], { stdio: 'pipe' });
      } catch (err) {
        throw netnsError(`cannot create network namespace ${name}`, err);
      }
    }
    live.set(name, ns);
    try {
      ns.runSync(['ip', 'link', 'set', 'lo', 'up']);
      ns.runSync(['sysctl', '-qw', ...STOCK_SYSCTLS]);
    } catch (err) {
      ns.destroy();
      throw err;
    }
    return ns;
  }

  /**
   * Use the namespace `name`, creating it (with loopback up) when it does not exist. One that
   * existed before is left in place by destroy(); one made here is removed.
   */
  static attach(name: string): Netns {
    installHooks();
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new NetnsError(`"${name}" is not a usable namespace name (letters, digits, . _ -)`, 'ERR_INVALID_ARG_VALUE');
    let existed = false;
    try {
      existed = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').some((l) => l.split(' ')[0] === name);
    } catch (err) {
      throw netnsError('cannot list network namespaces', err);
    }
    if (!existed) {
      try {
        execFileSync('ip', ['netns', 'add', name], { stdio: 'pipe' });
      } catch (err) {
        throw netnsError(`cannot create network namespace ${name}`, err);
      }
    }
    const ns = new Netns(name);
    ns.keep = existed;
    live.set(name, ns);
    if (!existed) ns.runSync(['ip', 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /** Path of the namespace, as setns(2) and the TUN addon take it. */
  get path(): string {
    return this.holder ? `/proc/${this.holder.pid}/ns/net` : `/var/run/netns/${this.name}`;
  }

  /** The command that runs argv inside the namespace. */
  private enter(argv: readonly string[]): [string, string[]] {
    return this.holder ? ['nsenter', [`--net=${this.path}`, ...argv]] : ['ip', ['netns', 'exec', this.name, ...argv]];
  }

  /** What a user types (in another terminal) to run a command in here. */
  get enterCommand(): string {
    // From outside tcplab's user namespace: join it as well (its owner may), keeping our uid.
    return this.holder ? `nsenter -t ${this.holder.pid} -U -n --preserve-credentials` : `ip netns exec ${this.name}`;
  }

  /** Run a command inside the namespace and collect its output (never rejects on exit code). */
  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const [command, args] = this.enter(argv);
      const child = execFile(
        command,
        args,
        { timeout: options.timeoutMs ?? 20_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== 'number') {
            reject(new NetnsError(`${argv.join(' ')} in ${this.name}: ${error.message} ${stderr}`.trim(), 'ERR_NETNS_EXEC'));
            return;
          }
          resolve({ stdout, stderr, code: error ? (error.code as number) : 0 });
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
    });
  }

  /** Like exec, but rejects unless the command exits 0. */
  async run(argv: readonly string[], options: ExecOptions = {}): Promise<string> {
    const result = await this.exec(argv, options);
    if (result.code !== 0) {
      throw new NetnsError(`${argv.join(' ')} exited ${result.code} in ${this.name}: ${result.stderr.trim()}`, 'ERR_NETNS_EXEC');
    }
    return result.stdout;
  }

  runSync(argv: readonly string[]): string {
    try {
      const [command, args] = this.enter(argv);
      return execFileSync(command, args, { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      throw netnsError(`${argv.join(' ')} in ${this.name}`, err);
    }
  }

  /** Start a long-running command in the namespace; it is killed (by PID) on destroy(). */
  spawn(argv: readonly string[], options: SpawnOptions = {}): ChildProcess {
    // It dies with us, even if we are SIGKILLed (PR_SET_PDEATHSIG survives the exec).
    const [command, args] = this.enter(['setpriv', '--pdeathsig', 'KILL', ...argv]);
    const child = spawn(command, args, { stdio: 'pipe', ...options });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Kill what was started here, then remove the namespace. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const child of this.children) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    this.children.clear();
    if (this.holder?.pid !== undefined) {
      try {
        process.kill(this.holder.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    } else if (!this.keep) {
      try {
        execFileSync('ip', ['netns', 'del', this.name], { stdio: 'pipe' });
      } catch {
        // already gone
      }
    }
    live.delete(this.name);
  }
}

/**
 * A new network namespace held open by a process of ours (`unshare -n sleep`): returned once
 * the process is inside it, i.e. once its /proc/PID/ns/net differs from ours.
 */
function holdNamespace(name: string): ChildProcess {
  // The holder dies with us (PR_SET_PDEATHSIG survives the exec into sleep), even on SIGKILL.
  const holder = spawn('unshare', ['-n', 'setpriv', '--pdeathsig', 'KILL', 'sleep', 'infinity'], { stdio: 'ignore' });
  const ours = readlinkSync('/proc/self/ns/net');
  const deadline = Date.now() + 5_000;
  for (;;) {
    let theirs: string | undefined;
    try {
      theirs = readlinkSync(`/proc/${holder.pid}/ns/net`);
    } catch {
      theirs = undefined;
    }
    if (theirs !== undefined && theirs !== ours) return holder;
    if (Date.now() > deadline) {
      if (holder.pid !== undefined) process.kill(holder.pid, 'SIGKILL');
      throw new NetnsError(`cannot create network namespace ${name}: \`unshare -n\` did not start (is util-linux installed?)`, 'ERR_NETNS');
    }
    // A synchronous 5 ms pause: creating a namespace is synchronous everywhere else too.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  }
}

function netnsError(what: string, err: unknown): NetnsError {
  const stderr = err && typeof err === 'object' && 'stderr' in err ? String((err as { stderr: unknown }).stderr).trim() : '';
  const enoent = err && typeof err === 'object' && 'code' in err && (err as { code: unknown }).code === 'ENOENT';
  if (enoent) return new NetnsError(`${what}: the ip command is missing (install iproute2)`, 'ENOENT');
  if (/Operation not permitted|Permission denied/i.test(stderr)) {
    return new NetnsError(`${what}: needs CAP_NET_ADMIN: run as root, or inside \`unshare -rn\` with a readable /dev/net/tun`, 'EPERM');
  }
  return new NetnsError(`${what}: ${stderr || String(err)}`, 'ERR_NETNS');
}
