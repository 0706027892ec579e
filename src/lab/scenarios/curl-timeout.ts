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
    runApp(server, { app: 'http', responseDelayMs: delay, log: (l) => ctx.note(`app: ${l}`) });
    const curl = await kernelNamespace(ctx).exec(['curl', '-s', '-m', '1', '-o', '/dev/null', '-w', '%{http_code}', `http://${ctx.host.address}:8080/slow`]);
    ctx.check('curl gave up after 1 s (exit 28, no response)', curl.code === 28, `exit ${curl.code}`);
    await kernelReaches(ctx, 'FIN-WAIT-2');
    await ctx.until('CLOSE-WAIT on tcplab', () => ctx.tcplabStates().has('CLOSE-WAIT'));
    const ep = [...ctx.host.net.stack.tcp.connections.values()].find((e) => e.local.port === 8080);
    const held = performance.now();
    await ctx.until('the handler to return', () => ep === undefined || ep.connection.stateName === 'CLOSED', delay + 5_000);
    ctx.check('tcplab stayed in CLOSE-WAIT until the handler returned', performance.now() - held >= delay - 1_200, `${Math.round(performance.now() - held)} ms in CLOSE-WAIT after curl left`);
    ctx.check('the late response met a RST from the orphaned kernel socket', ep?.connection.error === 'ECONNRESET' || ep?.connection.error === 'EPIPE', ep?.connection.error ?? 'no error');
    server.close();
  },
};
