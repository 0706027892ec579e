// `tcplab connect`: a client on the userspace stack for experiments by hand, like nc: what it
// is given (--send, or standard input) goes to the connection, what comes back goes to
// standard output, and every state change of tcplab's connection is shown on standard error.
// It stays until its connections are CLOSED, TIME-WAIT included (with a countdown), so the
// kernel's side and tcplab's can be watched with ss meanwhile.
import { Command, InvalidArgumentError, Option } from 'commander';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { APP_NAMES } from '../lab/apps.js';
import { peerScript } from '../lab/kernel-peer.js';
import { openLabHost, type LabHost } from '../lab/lab-host.js';
import type { Socket } from '../net/socket.js';
import { formatIpAddress } from '../wire/address.js';
import type { TcpEvent } from '../tcp/events.js';
import type { Endpoint } from '../tcp/outgoing-segment.js';
import { intArg, requirePrivileges, withLabHostOptions } from './common.js';
import { startControl } from './control-target.js';

export interface ConnectTarget {
  host: string;
  port: number;
}

/** `10.77.0.1:8080` or `[fd00:77::1]:8080`. */
export function parseTarget(text: string): ConnectTarget {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw new InvalidArgumentError(`"${text}" is not HOST:PORT (e.g. 10.77.0.1:8080 or [fd00:77::1]:8080)`);
  return { host: m[1] ?? m[2], port };
}

/** --send's text with \r \n \t \\ and \xHH escapes, as a shell user types them. */
export function unescapeSend(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '\\' || i + 1 >= text.length) {
      out.push(...Buffer.from(c));
      continue;
    }
    const next = text[++i];
    if (next === 'n') out.push(10);
    else if (next === 'r') out.push(13);
    else if (next === 't') out.push(9);
    else if (next === '\\') out.push(92);
    else if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(92, ...Buffer.from(next));
  }
  return Buffer.from(out);
}

interface ConnectOptions {
  send?: string;
  stdin: boolean;
  count: number;
  interval: number;
  localPort?: number;
  hold?: boolean;
  reset?: boolean;
  closeDelay?: number;
  wait: boolean;
  msl?: number;
  synRetries?: number;
  timestamps: boolean;
  kernelServer?: string;
  peerCmd?: string;
  pcap?: string;
  netns?: string;
  addr: string;
  peerAddr: string;
}

export function connectCommand(): Command {
  return withLabHostOptions(new Command('connect')
    .description('connect from the userspace stack to a kernel server, in a private namespace (like nc)')
    .argument('<host:port>', 'where to connect, e.g. 10.77.0.1:8080 (the kernel end of the TUN device)', parseTarget)
    .option('--send <text>', 'send this (escapes \\r \\n \\t \\xHH), then close; without it, standard input is sent')
    .option('--no-stdin', 'send nothing from standard input')
    .option('--count <n>', 'connections to make, one after another', intArg('count', 1, 100_000), 1)
    .option('--interval <ms>', 'pause between connections', intArg('interval', 0, 3_600_000), 0)
    .option('--local-port <port>', 'bind this local port (a fixed 4-tuple: see TIME-WAIT block a reconnect)', intArg('local port', 1, 65535))
    .option('--hold', 'never close: keep the connection open until Ctrl-C')
    .option('--reset', 'close with RST (SO_LINGER 0) instead of FIN')
    .option('--close-delay <ms>', 'close this long after sending', intArg('close delay', 0, 86_400_000))
    .option('--no-wait', 'exit once closed instead of waiting out TIME-WAIT')
    .option('--msl <ms>', 'maximum segment lifetime: TIME-WAIT lasts 2 × msl (0 disables it)', intArg('msl', 0, 3_600_000))
    .option('--syn-retries <n>', 'tcp_syn_retries (SYNs at 0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s)', intArg('syn retries', 0, 255))
    .option('--no-timestamps', 'do not offer TCP timestamps (tcp_timestamps = 0)')
    .addOption(new Option('--kernel-server <app>', 'first start a kernel server on HOST:PORT in the namespace (Python, like the seeds)').choices(APP_NAMES as string[]))
    .option('--peer-cmd <command>', 'first run this command in the namespace (your own kernel server); killed at the end'))
    .addHelpText(
      'after',
      `
Examples:
  tcplab connect 10.77.0.1:8080 --kernel-server http --send 'GET / HTTP/1.0\\r\\n\\r\\n'
      an HTTP request to a kernel server; tcplab closes first and waits out TIME-WAIT (60 s)
  tcplab connect 10.77.0.1:7 --kernel-server echo --msl 5000
      type lines, read them back; Ctrl-D closes, TIME-WAIT lasts 10 s
  tcplab connect 10.77.0.1:9 --count 200 --local-port 40000 --kernel-server discard --send x
      the second connection fails with EADDRNOTAVAIL while TIME-WAIT holds the 4-tuple
  tcplab connect 10.77.0.1:80 --syn-retries 2
      nobody listens... with --peer-cmd 'iptables -A INPUT -p tcp --dport 80 -j DROP': SYN-SENT, ETIMEDOUT`,
    )
    .action(async (target: ConnectTarget, opts: ConnectOptions) => {
      requirePrivileges();
      process.exitCode = await connect(target, opts);
    });
}

function endpointText(e: Endpoint): string {
  const a = formatIpAddress(e.address);
  return a.includes(':') ? `[${a}]:${e.port}` : `${a}:${e.port}`;
}

async function connect(target: ConnectTarget, opts: ConnectOptions): Promise<number> {
  const started = performance.now();
  const stamp = (): string => `+${((performance.now() - started) / 1000).toFixed(3).padStart(7)}s`;
  const info = (line: string): void => void process.stderr.write(`${stamp()}  ${line}\n`);
  const tcp = {
    ...(opts.msl !== undefined ? { msl: opts.msl } : {}),
    ...(opts.synRetries !== undefined ? { tcpSynRetries: opts.synRetries } : {}),
    ...(opts.timestamps ? {} : { tcpTimestamps: false }),
  };
  const host = openLabHost({
    netns: opts.netns,
    addr: opts.addr,
    peerAddr: opts.peerAddr,
    pcap: opts.pcap,
    stack: {
      tcp,
      events: (event: TcpEvent, local: Endpoint, remote: Endpoint) => {
        if (event.type === 'state') info(`tcplab  ${endpointText(local)} ⇄ ${endpointText(remote)}  ${event.from} → ${event.to} (${event.cause})`);
        else if (event.type === 'retransmission' && (event.kind === 'syn' || event.kind === 'timeout')) info(`tcplab  ${endpointText(local)} ⇄ ${endpointText(remote)}  retransmission #${event.attempt} (${event.kind}, RTO ${event.rto} ms)`);
      },
    },
  });
  const control = await startControl('connect', host.net.stack, () => host.net.now());
  let stopping = false;
  const children: ChildProcess[] = [];
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    process.stdin.destroy();
    void control?.close();
    host.close();
  };
  const onSignal = (signal: string): void => {
    info(`${signal}: closing, flushing the capture, removing the namespace`);
    stop();
    process.exit(130);
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  try {
    info(`tcplab (userspace TCP) ${host.address} on TUN device ${host.device} in network namespace ${host.ns.name}; the kernel is ${host.peerAddress}`);
    info(`watch it:  ${host.ns.enterCommand} ss -tan -o   |   ${host.ns.enterCommand} tcpdump -ni ${host.device}`);
    if (opts.kernelServer) children.push(await startKernelServer(host, target, opts.kernelServer, info));
    if (opts.peerCmd) {
      const child = host.ns.spawn(['sh', '-c', opts.peerCmd], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      relayLines(child, (line) => info(`kernel  ${line}`));
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    let failures = 0;
    const sockets: Socket[] = [];
    for (let i = 0; i < opts.count && !stopping; i++) {
      if (i > 0 && opts.interval > 0) await new Promise((resolve) => setTimeout(resolve, opts.interval));
      const socket = await openOne(host, target, opts, i === 0 && opts.count === 1, info).catch((err: NodeJS.ErrnoException) => {
        info(`error: ${err.message}`);
        failures++;
        return undefined;
      });
      if (socket) sockets.push(socket);
    }
    // Wait for every connection to be over, TIME-WAIT included, unless told not to.
    const left = (): Socket[] => sockets.filter((s) => s.tcpState !== 'CLOSED');
    if (opts.wait && left().length > 0 && !stopping) await waitClosed(host, left, info);
    return failures > 0 ? 1 : 0;
  } finally {
    for (const child of children) if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    stop();
  }
}

/** One connection: connect, send, close as asked; resolves when our side is done with it. */
async function openOne(host: LabHost, target: ConnectTarget, opts: ConnectOptions, useStdin: boolean, info: (line: string) => void): Promise<Socket> {
  const socket = host.net.connect({ host: target.host, port: target.port, localPort: opts.localPort, allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const ended = new Promise<void>((resolve) => {
    socket.once('end', () => resolve());
    socket.once('close', () => resolve());
  });
  socket.on('error', (err) => info(`error: ${err.message}`));
  socket.on('data', (d: Buffer) => process.stdout.write(d));
  if (opts.send !== undefined) socket.write(unescapeSend(opts.send));
  else if (useStdin && opts.stdin) {
    process.stdin.pipe(socket, { end: false });
    await once(process.stdin, 'end');
  }
  if (opts.hold) {
    info('holding the connection open: Ctrl-C to stop');
    await new Promise(() => undefined);
  }
  if (opts.closeDelay !== undefined) await new Promise((resolve) => setTimeout(resolve, opts.closeDelay));
  if (opts.reset) {
    socket.resetAndDestroy();
    return socket;
  }
  socket.end();
  await ended;
  socket.destroy();
  return socket;
}

/** Until the last connection is CLOSED: a countdown through TIME-WAIT on a terminal. */
async function waitClosed(host: LabHost, left: () => Socket[], info: (line: string) => void): Promise<void> {
  const tty = process.stderr.isTTY;
  let announced = false;
  while (left().length > 0) {
    const now = host.net.now();
    const deadlines = left().map((s) => s.endpoint?.connection.activeTimer(now)?.expiresAt).filter((d): d is number => d !== undefined);
    const until = deadlines.length > 0 ? Math.max(...deadlines) : undefined;
    const states = [...new Set(left().map((s) => s.tcpState))].join(', ');
    const remaining = until === undefined ? '' : `, ${Math.ceil((until - now) / 1000)} s left`;
    if (tty) process.stderr.write(`\r\x1b[2K  waiting: ${left().length} connection(s) in ${states}${remaining} (Ctrl-C to stop)`);
    else if (!announced) info(`waiting: ${left().length} connection(s) in ${states}${remaining}`);
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, tty ? 250 : 100));
  }
  if (tty) process.stderr.write('\r\x1b[2K');
}

async function startKernelServer(host: LabHost, target: ConnectTarget, app: string, info: (line: string) => void): Promise<ChildProcess> {
  const child = host.ns.spawn(['python3', '-u', peerScript('kernel_server.py'), '--bind', target.host, '--port', String(target.port), '--app', app], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (errors += d));
  const ready = new Promise<void>((resolve, reject) => {
    relayLines(child, (line) => (line === 'ready' ? resolve() : info(`kernel  ${line}`)));
    child.once('exit', () => reject(new Error(`the kernel server did not start: ${errors.trim() || 'it exited'}`)));
  });
  await ready;
  info(`kernel  ${app} server listening on ${target.host}:${target.port}`);
  return child;
}

function relayLines(child: ChildProcess, onLine: (line: string) => void): void {
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buffered += d;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
}
