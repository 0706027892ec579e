// The other end of the control channel: find the running tcplab (`--name`, `--pid`, or the only
// one), send it one request, read its answer (and, for trace, the event lines that follow).
import { connect } from 'node:net';
import type { ControlAnswer, ControlRequest } from './control-protocol.js';
import { listRunning, runtimeDir, type RunningTcplab } from './runtime-dir.js';

export class ControlClientError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

function describe(list: readonly RunningTcplab[]): string {
  return list.map((r) => `${r.name} (pid ${r.pid})`).join(', ');
}

/**
 * The tcplab to talk to: the one `name` and/or `pid` pick, or the only one running. Errors say
 * what is running and how to pick.
 */
export function pickRunning(by: { name?: string; pid?: number } = {}, dir: string = runtimeDir()): RunningTcplab {
  const running = listRunning(dir);
  if (running.length === 0) {
    throw new ControlClientError(`no tcplab is running (no control socket in ${dir}): start one first, e.g. tcplab serve --port 8080`, 'ENOENT');
  }
  const chosen = running.filter((r) => (by.name === undefined || r.name === by.name) && (by.pid === undefined || r.pid === by.pid));
  const asked = [by.name !== undefined ? `name ${by.name}` : '', by.pid !== undefined ? `pid ${by.pid}` : ''].filter(Boolean).join(' and ');
  if (chosen.length === 0) throw new ControlClientError(`no running tcplab has ${asked}; running: ${describe(running)}`, 'ENOENT');
  if (chosen.length > 1) {
    throw new ControlClientError(`${chosen.length} tcplabs are running${asked ? ` with ${asked}` : ''}: ${describe(chosen)}; pick one with --name NAME or --pid PID`, 'EAMBIGUOUS');
  }
  return chosen[0];
}

export interface RequestOptions {
  /** Called with every line after the answer (trace events), already parsed. */
  readonly onLine?: (record: unknown) => void;
  /** How long to wait for the answer line (ms); default 5000. */
  readonly timeoutMs?: number;
  /** Aborting hangs up (a `trace --follow` ends this way). */
  readonly signal?: AbortSignal;
}

/**
 * Sends `request` and resolves with the answer once the tcplab has closed the connection (or
 * the signal aborted a following trace). A refusal rejects with its message and code.
 */
export function controlRequest<A extends ControlAnswer = ControlAnswer>(target: RunningTcplab, request: ControlRequest, options: RequestOptions = {}): Promise<A> {
  return new Promise<A>((resolve, reject) => {
    const socket = connect(target.path);
    socket.setEncoding('utf8');
    let answer: A | undefined;
    let buffered = '';
    let settled = false;
    const fail = (err: ControlClientError): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new ControlClientError(`${target.name} (pid ${target.pid}) did not answer within ${options.timeoutMs ?? 5000} ms`, 'ETIMEDOUT')), options.timeoutMs ?? 5000);
    const abort = (): void => {
      socket.destroy();
      finish();
    };
    options.signal?.addEventListener('abort', abort, { once: true });
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      if (answer === undefined) reject(new ControlClientError(`${target.name} (pid ${target.pid}) hung up without answering`, 'ECONNRESET'));
      else resolve(answer);
    };
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          fail(new ControlClientError(`${target.name} (pid ${target.pid}) sent a line that is not JSON: ${line.slice(0, 80)}`, 'EPROTO'));
          return;
        }
        if (answer === undefined) {
          clearTimeout(timer);
          const a = value as ControlAnswer;
          if (!a.ok) {
            fail(new ControlClientError(a.error, a.code));
            return;
          }
          answer = a as A;
        } else {
          options.onLine?.(value);
        }
      }
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const gone = err.code === 'ECONNREFUSED' || err.code === 'ENOENT';
      fail(new ControlClientError(gone ? `${target.name} (pid ${target.pid}) is not answering on ${target.path}: it may have just exited` : `${target.name} (pid ${target.pid}): ${err.message}`, err.code ?? 'EIO'));
    });
  });
}
