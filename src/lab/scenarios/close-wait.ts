// close-wait (seeds 001, 003): a kernel client closes; tcplab's server reads the FIN but never
// closes. tcplab sits in CLOSE-WAIT, the kernel in FIN-WAIT-2, and the 4-packet close is only
// two packets long (FIN, ACK), as the seed's tcpdump shows.
import type { ScenarioDefinition } from '../scenario.js';
import { kernelReaches, listenOn, nextConnection, tcplabReaches } from './common.js';

export const closeWait: ScenarioDefinition = {
  name: 'close-wait',
  summary: 'the kernel client closes, tcplab\'s server never does: CLOSE-WAIT ↔ FIN-WAIT-2',
  expect: { tcplab: ['ESTABLISHED', 'CLOSE-WAIT'], kernel: ['FIN-WAIT-2'] },
  ports: [50000],
  async run(ctx) {
    const server = await listenOn(ctx, 50000, { allowHalfOpen: true });
    const accepted = nextConnection(server);
    const client = await ctx.peer.connect(ctx.host.address, 50000);
    const socket = await accepted;
    socket.resume();
    await ctx.peer.close(client);
    await tcplabReaches(ctx, socket, 'CLOSE-WAIT');
    await kernelReaches(ctx, 'FIN-WAIT-2');
    await ctx.sleep(ctx.quick ? 300 : 2000);
    ctx.check('tcplab stays in CLOSE-WAIT while the application does not close', socket.tcpState === 'CLOSE-WAIT', socket.tcpState);
    socket.destroy();
  },
};
