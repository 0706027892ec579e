// What `tcplab ss`, `nstat` and `trace` share: --name and --pid to pick a running tcplab, and
// plain one-line errors when none (or several) are running.
import { Option, type Command } from 'commander';
import { ControlClientError, controlRequest, pickRunning, type RequestOptions } from '../inspect/control-client.js';
import type { ControlAnswer, ControlRequest } from '../inspect/control-protocol.js';
import { ControlServer } from '../inspect/control-server.js';
import type { RunningTcplab } from '../inspect/runtime-dir.js';
import type { Stack } from '../stack/stack.js';
import { fail, intArg } from './common.js';

export interface TargetOptions {
  name?: string;
  pid?: number;
}

export function addTargetOptions(command: Command): Command {
  return command
    .addOption(new Option('--name <name>', 'the running tcplab to ask, by what it is: serve, connect, tour, scenario'))
    .addOption(new Option('--pid <pid>', 'the running tcplab to ask, by process id').argParser(intArg('pid', 1, 2 ** 31 - 1)));
}

/** Finds the tcplab and asks it; any failure ends the command with its message. */
export async function ask<A extends ControlAnswer>(opts: TargetOptions, request: ControlRequest, options?: RequestOptions): Promise<{ target: RunningTcplab; answer: A }> {
  try {
    const target = pickRunning({ name: opts.name, pid: opts.pid });
    return { target, answer: await controlRequest<A>(target, request, options) };
  } catch (err) {
    if (err instanceof ControlClientError) fail(err.message);
    throw err;
  }
}

/**
 * Starts the control server of a verb that runs a stack (serve, connect), so that `tcplab ss`
 * reaches it; a tcplab that cannot open its control socket still runs, and says why.
 */
export async function startControl(name: string, stack: Stack, now: () => number): Promise<ControlServer | undefined> {
  try {
    return await ControlServer.start({ name, stack, now });
  } catch (err) {
    process.stderr.write(`tcplab: tcplab ss/nstat/trace will not reach this ${name}: ${(err as Error).message}\n`);
    return undefined;
  }
}
