// What every end-to-end benchmark needs: the package root, C helpers built on demand,
// private namespaces (prefix `tcplab-b`, made by src/lab/netns.ts) and child processes that are always cleaned up —
// on success, on failure, on SIGINT/SIGTERM and at exit — children killed by PID.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Netns } from '../src/lab/netns.js';
import { packageRoot } from '../src/link/package-root.js';

export { packageRoot };

export const BENCH_NETNS_PREFIX = 'tcplab-b';

/** Compiles bench/c/NAME.c into bench/bin/NAME with `cc -O2` unless the binary is newer. */
export function buildC(name: string): string {
  const root = packageRoot();
  const source = join(root, 'bench', 'c', `${name}.c`);
  const binary = join(root, 'bench', 'bin', name);
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return binary;
  mkdirSync(dirname(binary), { recursive: true });
  execFileSync(process.env.CC ?? 'cc', ['-O2', '-Wall', '-Wextra', '-o', binary, source], { stdio: 'inherit' });
  return binary;
}

export function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** A child whose stdout arrives as lines. */
export interface Child {
  readonly process: ChildProcess;
  readonly lines: string[];
  readonly stderr: () => string;
  /** Resolves with the exit code (or -1 when killed by a signal). */
  readonly exited: Promise<number>;
  /** Resolves when a line satisfying `match` arrives; rejects on exit or after timeoutMs. */
  waitForLine(match: (line: string) => boolean, timeoutMs: number): Promise<string>;
  /** The next line not returned by nextLine before (the first call returns the first line). */
  nextLine(timeoutMs: number): Promise<string>;
  /** Writes a line to the child's stdin (spawned with `stdin: true`). */
  send(line: string): void;
  kill(): void;
}

const liveChildren = new Set<ChildProcess>();
let hooksInstalled = false;

function killChild(child: ChildProcess): void {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  liveChildren.delete(child);
}

/** Kills every child this process started. Synchronous. (Namespaces clean themselves up: src/lab/netns.ts.) */
export function cleanupAll(): void {
  for (const child of [...liveChildren]) killChild(child);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', cleanupAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}: cleaning up\n`);
      cleanupAll();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

export interface BenchNamespace {
  readonly name: string;
  /** Runs a command inside the namespace, synchronously. */
  run(argv: readonly string[]): string;
  /** Starts a command inside the namespace; killed after timeoutMs, and at cleanup. */
  spawn(argv: readonly string[], timeoutMs: number, options?: { stdin?: boolean }): Child;
  /** Starts a command in the host's namespace (e.g. one that opens a device inside this one
   *  itself); killed after timeoutMs, and at cleanup. */
  spawnHere(argv: readonly string[], timeoutMs: number, options?: { stdin?: boolean }): Child;
  destroy(): void;
}

/** Creates `tcplab-b<pid>-<n>` (src/lab/netns.ts: loopback up, removed at exit or on a signal). */
export function createNamespace(): BenchNamespace {
  installHooks();
  const netns = Netns.create(BENCH_NETNS_PREFIX);
  return {
    name: netns.name,
    run: (argv) => netns.runSync(argv),
    spawn: (argv, timeoutMs, options) => spawnChild(['ip', 'netns', 'exec', netns.name, ...argv], timeoutMs, options?.stdin ?? false),
    spawnHere: (argv, timeoutMs, options) => spawnChild(argv, timeoutMs, options?.stdin ?? false),
    destroy: () => netns.destroy(),
  };
}

function spawnChild(argv: readonly string[], timeoutMs: number, stdin: boolean): Child {
  installHooks();
  const [command, ...args] = argv as [string, ...string[]];
  const child = spawn(command, args, { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  liveChildren.add(child);
  child.stdin?.on('error', () => undefined); // EPIPE when it died: its exit tells the story
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let partial = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    for (const w of waiters) w();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const timer = setTimeout(() => killChild(child), timeoutMs);
  const exited = new Promise<number>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      liveChildren.delete(child);
      if (partial) lines.push(partial);
      partial = '';
      resolve(code ?? -1);
      for (const w of waiters) w();
    });
  });
  let done = false;
  void exited.then(() => (done = true));
  let cursor = 0;
  const waitFor = (pick: () => string | undefined, ms: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const finish = (f: () => void): void => {
        clearTimeout(timer);
        waiters.delete(check);
        f();
      };
      const check = (): void => {
        const line = pick();
        if (line !== undefined) finish(() => resolve(line));
        else if (done || child.exitCode !== null || child.signalCode !== null) {
          finish(() => reject(new Error(`${argv.join(' ')} exited before the expected output: ${err.trim()}`)));
        }
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${ms} ms waiting for ${argv.join(' ')}`))), ms);
      waiters.add(check);
      check();
    });
  const self: Child = {
    process: child,
    lines,
    stderr: () => err,
    exited,
    waitForLine: (match, ms) => waitFor(() => lines.find(match), ms),
    nextLine(ms) {
      const index = cursor++;
      return waitFor(() => lines[index], ms);
    },
    send(line) {
      child.stdin?.write(`${line}\n`);
    },
    kill: () => killChild(child),
  };
  return self;
}
