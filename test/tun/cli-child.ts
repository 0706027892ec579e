// Runs the built `tcplab` command as a user would, in child processes, with its own runtime
// directory (XDG_RUNTIME_DIR) so that tcplabs started elsewhere on the machine do not count.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const CLI = join(import.meta.dirname, '../../dist/src/cli/main.js');

export interface CliResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

function requireBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
}

/** One command to its end. */
export function tcplab(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  requireBuilt();
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, timeout: 30_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ stdout, stderr, code: error ? (typeof error.code === 'number' ? error.code : 1) : 0 });
    });
  });
}

/** A long-running verb (serve, trace -f): its output so far, and a promise of the first `want` match. */
export function tcplabRunning(args: readonly string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; waitFor: (want: RegExp, timeoutMs?: number) => Promise<RegExpExecArray> } {
  requireBuilt();
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const waitFor = (want: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const m = want.exec(out);
        if (!m) return false;
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve(m);
        return true;
      };
      const timer = setTimeout(() => reject(new Error(`tcplab ${args.join(' ')}: no ${String(want)} within ${timeoutMs} ms; output: ${out}`)), timeoutMs);
      if (!check()) child.stdout!.on('data', check);
    });
  return { child, output: () => out, waitFor };
}
