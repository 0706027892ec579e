// time-wait-pileup (seeds 002, 004): many short HTTP/1.0 connections; tcplab's server closes
// first, so every one of them leaves a TIME-WAIT behind on tcplab's side. The state counts are
// what `netstat -n | awk '/^tcp/ {++S[$NF]} END {for(a in S) print a, S[a]}'` prints.
import { runApp } from '../apps.js';
import type { ScenarioDefinition } from '../scenario.js';
import { kernelNamespace, listenOn } from './common.js';

export const timeWaitPileup: ScenarioDefinition = {
  name: 'time-wait-pileup',
  summary: 'hundreds of short connections, tcplab closing first: TIME-WAIT piles up on tcplab',
  expect: { tcplab: ['TIME-WAIT'], kernel: [] },
  ports: [8081],
  needsKernel: 'runs ab (ApacheBench) in the namespace',
  async run(ctx) {
    const server = await listenOn(ctx, 8081, { allowHalfOpen: true });
    runApp(server, { app: 'http' });
    const n = 300;
    const ab = await kernelNamespace(ctx).exec(['ab', '-q', '-n', String(n), '-c', '10', `http://${ctx.host.address}:8081/`], { timeoutMs: 60_000 });
    const failed = /Failed requests:\s+(\d+)/.exec(ab.stdout)?.[1];
    ctx.check(`ab: ${n} requests, none failed`, ab.code === 0 && failed === '0', ab.code === 0 ? `${failed} failed` : ab.stderr.trim());
    const counts = new Map<string, number>();
    for (const row of ctx.host.net.stack.tcp.sockets(ctx.host.net.now())) if (row.state !== 'LISTEN') counts.set(row.state, (counts.get(row.state) ?? 0) + 1);
    ctx.note(`state counts on tcplab: ${[...counts].map(([s, c]) => `${s} ${c}`).join(', ')}`);
    ctx.check(`about ${n} connections in TIME-WAIT on tcplab`, (counts.get('TIME-WAIT') ?? 0) >= n - 5, `TIME-WAIT ${counts.get('TIME-WAIT') ?? 0}`);
    server.close();
  },
};
