// `tcplab serve`: a server on the userspace stack for experiments by hand, e.g. with curl
// or a Python client running in the namespace.
import { Command, Option } from 'commander';
import { APP_NAMES, runApp, type AppName } from '../lab/apps.js';
import { openLabHost } from '../lab/lab-host.js';
import { intArg, requirePrivileges, withLabHostOptions } from './common.js';
import { startControl } from './control-target.js';

export function serveCommand(): Command {
  return withLabHostOptions(new Command('serve')
    .description('run a server on the userspace stack, in a private namespace, until Ctrl-C')
    .requiredOption('--port <port>', 'port to listen on', intArg('port', 1, 65535))
    .addOption(new Option('--app <app>', 'what the server does').choices(APP_NAMES as string[]).default('echo'))
    .option('--response-delay <ms>', 'http: wait this long before each response', intArg('response delay', 0, 86_400_000))
    .option('--backlog <n>', 'listen() backlog (the accept queue holds backlog + 1)', intArg('backlog', 0, 65535), 511)
    .option('--no-accept', 'never accept: connections stay in the accept queue')
    .option('--accept-delay <ms>', 'start accepting only after this long', intArg('accept delay', 0, 86_400_000))
    .option('--never-close', 'accept and read, but never close (CLOSE-WAIT when clients close)')
    .option('--close-delay <ms>', 'close each connection this long after accepting it', intArg('close delay', 0, 86_400_000))
    .option('--msl <ms>', 'maximum segment lifetime: TIME-WAIT lasts 2 × msl (0 disables it)', intArg('msl', 0, 3_600_000)))
    .addHelpText(
      'after',
      `
Examples:
  tcplab serve --port 8080 --app http --response-delay 5000
      then: ip netns exec <ns> curl -m 1 http://10.77.0.2:8080/   (seed 000: CLOSE-WAIT)
  tcplab serve --port 50000 --backlog 1 --no-accept
      then three clients connect: two complete, the third SYN is retransmitted (seed 001)
  tcplab serve --port 9000 --app hold --never-close --pcap hold.pcap`,
    )
    .action(async (opts: ServeOptions) => {
      requirePrivileges();
      await serve(opts);
    });
}

interface ServeOptions {
  port: number;
  app: AppName;
  responseDelay?: number;
  backlog: number;
  accept: boolean;
  acceptDelay?: number;
  neverClose?: boolean;
  closeDelay?: number;
  msl?: number;
  pcap?: string;
  netns?: string;
  addr: string;
  peerAddr: string;
}

async function serve(opts: ServeOptions): Promise<void> {
  const host = openLabHost({
    netns: opts.netns,
    addr: opts.addr,
    peerAddr: opts.peerAddr,
    pcap: opts.pcap,
    stack: { tcp: opts.msl === undefined ? undefined : { msl: opts.msl } },
  });
  const control = await startControl('serve', host.net.stack, () => host.net.now());
  const log = (line: string): void => {
    process.stdout.write(`${new Date().toISOString().slice(11, 23)}  ${line}\n`);
  };
  const paused = !opts.accept || opts.acceptDelay !== undefined;
  const server = host.net.createServer({ allowHalfOpen: true, pauseAccepting: paused });
  runApp(server, { app: opts.app, responseDelayMs: opts.responseDelay, neverClose: opts.neverClose, closeDelayMs: opts.closeDelay, log });
  server.on('error', (err: Error) => {
    process.stderr.write(`tcplab serve: ${err.message}\n`);
    host.close();
    process.exit(1);
  });
  server.listen({ port: opts.port, host: host.address, backlog: opts.backlog }, () => {
    const ns = host.ns.name;
    const enter = host.ns.enterCommand;
    const target = `${host.address}:${opts.port}`;
    process.stdout.write(`listening on ${target}\n`);
    process.stdout.write(`  tcplab (userspace TCP) on TUN device ${host.device} in network namespace ${ns}; the kernel is ${host.peerAddress}\n`);
    process.stdout.write(`  reach it:  ${enter} ${opts.app === 'http' ? `curl http://${target}/` : `socat - TCP:${target}`}\n`);
    process.stdout.write(`  watch it:  ${enter} ss -tan -o   |   ${enter} tcpdump -ni ${host.device}\n`);
    if (opts.pcap) process.stdout.write(`  capture:   ${opts.pcap}\n`);
    if (control) process.stdout.write(`  inspect:   tcplab ss -tano   |   tcplab nstat   |   tcplab trace -f   (from another terminal)\n`);
    if (!opts.accept) process.stdout.write(`  not accepting: connections wait in the accept queue (backlog ${opts.backlog})\n`);
    process.stdout.write('Ctrl-C to stop.\n');
  });
  if (opts.accept && opts.acceptDelay !== undefined) setTimeout(() => server.resumeAccepting(), opts.acceptDelay);

  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      process.stdout.write(`\n${signal}: closing connections, flushing the capture, removing the namespace\n`);
      server.close();
      host.close();
      void control?.close().then(resolve, resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}


