// fin-wait-2: tcplab closes first; the kernel server acknowledges the FIN but never closes.
// tcplab waits in FIN-WAIT-2 (an orphan: after tcpFinTimeout it gives up), the kernel in
// CLOSE-WAIT.
import type { ScenarioDefinition } from '../scenario.js';
import { connectFrom, kernelReaches, tcplabReaches } from './common.js';

export const finWait2: ScenarioDefinition = {
  name: 'fin-wait-2',
  summary: 'tcplab closes, the kernel server never does: FIN-WAIT-2 ↔ CLOSE-WAIT, then the orphan timeout',
  expect: { tcplab: ['ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2'], kernel: ['CLOSE-WAIT'] },
  ports: [5003],
  async run(ctx) {
    const listener = await ctx.peer.listen(5003, { host: ctx.host.peerAddress });
    const [socket] = await Promise.all([connectFrom(ctx, 5003), ctx.peer.accept(listener)]);
    socket.end();
    await tcplabReaches(ctx, socket, 'FIN-WAIT-2');
    await kernelReaches(ctx, 'CLOSE-WAIT');
    // close(): the connection is an orphan now; Linux gives it tcp_fin_timeout to see a FIN.
    const ep = socket.endpoint!;
    socket.destroy();
    const start = performance.now();
    await ctx.until('the orphan timeout', () => ep.connection.stateName === 'CLOSED', ctx.timers.tcpFinTimeout + 5_000);
    const waited = performance.now() - start;
    ctx.check(
      `the orphaned FIN-WAIT-2 ends after tcpFinTimeout (${ctx.timers.tcpFinTimeout} ms)`,
      waited >= ctx.timers.tcpFinTimeout - 50,
      `closed after ${Math.round(waited)} ms`,
    );
  },
};
