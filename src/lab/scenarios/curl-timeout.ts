// curl-timeout (seed 000): `curl -m 1` against tcplab's slow HTTP handler. curl gives up after
// one second and closes; tcplab's connection sits in CLOSE-WAIT (the kernel's in FIN-WAIT-2)
// until the handler returns and writes its response: the kernel's socket is an orphan by then,
// so it answers the data with RST, and tcplab's connection ends CLOSED by that reset.
import { runApp } from '../apps.js';
import type { ScenarioDefinition } from '../scenario.js';
import { kernelNamespace, kernelReaches, listenOn } from './common.js';

export const curlTimeout: ScenarioDefinition = {
  name: 'curl-timeout',
  summary: 'curl -m 1 against a slow handler: CLOSE-WAIT on tcplab until the handler returns',
  expect: { tcplab: ['ESTABLISHED', 'CLOSE-WAIT', 'CLOSED'], kernel: ['ESTAB', 'FIN-WAIT-2'] },
  ports: [8080],
  needsKernel: 'runs curl in the namespace',
  async run(ctx) {
    const delay = ctx.quick ? 2_500 : 5_000;
    const server = await listenOn(ctx, 8080, { allowHalfOpen: true });
    // On the stack's clock: when tcplab's side entered and left CLOSE-WAIT, and when the
    // handler wrote its late response (the times hold however loaded the machine is).
    const net = ctx.host.net;
    let respondedAt: number | undefined;
    const closeWait: { from?: number; to?: number } = {};
    const unsubscribe = net.stack.events.subscribe((event, local) => {
      if (event.type !== 'state' || local?.port !== 8080) return;
      if (event.to === 'CLOSE-WAIT') closeWait.from = event.at;
      if (event.from === 'CLOSE-WAIT') closeWait.to = event.at;
    });
    runApp(server, {
      app: 'http',
      responseDelayMs: delay,
      log: (l) => {
        if (/ → \d{3}$/.test(l)) respondedAt = net.now();
        ctx.note(`app: ${l}`);
      },
    });
    const curl = await kernelNamespace(ctx).exec(['curl', '-s', '-m', '1', '-o', '/dev/null', '-w', '%{http_code}', `http://${ctx.host.address}:8080/slow`]);
    ctx.check('curl gave up after 1 s (exit 28, no response)', curl.code === 28, `exit ${curl.code}`);
    await kernelReaches(ctx, 'FIN-WAIT-2');
    await ctx.until('CLOSE-WAIT on tcplab', () => ctx.tcplabStates().has('CLOSE-WAIT'));
    const ep = [...net.stack.tcp.connections.values()].find((e) => e.local.port === 8080);
    await ctx.until('the handler to return', () => ep === undefined || ep.connection.stateName === 'CLOSED', delay + 5_000);
    unsubscribe();
    const { from, to } = closeWait;
    const held = from !== undefined && to !== undefined && respondedAt !== undefined && from <= respondedAt && to >= respondedAt;
    ctx.check(
      'tcplab stayed in CLOSE-WAIT until the handler returned',
      held,
      from !== undefined && to !== undefined && respondedAt !== undefined ? `CLOSE-WAIT for ${Math.round(to - from)} ms; the handler answered ${Math.round(respondedAt - from)} ms into it` : 'no CLOSE-WAIT seen',
    );
    ctx.check('the late response met a RST from the orphaned kernel socket', ep?.connection.error === 'ECONNRESET' || ep?.connection.error === 'EPIPE', ep?.connection.error ?? 'no error');
    server.close();
  },
};
