// reuseaddr: tcplab's server closes first, so its side of the connection waits in TIME-WAIT on
// the server's port. Listening on that port again fails with EADDRINUSE without SO_REUSEADDR,
// and works with it (Node's servers always set it, as libuv does).
import type { ScenarioDefinition } from '../scenario.js';
import { listenOn, nextConnection } from './common.js';

export const reuseaddr: ScenarioDefinition = {
  name: 'reuseaddr',
  summary: 'listen on a port whose connection is in TIME-WAIT: EADDRINUSE unless reuseAddress',
  expect: { tcplab: ['FIN-WAIT-1', 'TIME-WAIT'], kernel: [] },
  ports: [5012],
  async run(ctx) {
    const server = await listenOn(ctx, 5012);
    const accepted = nextConnection(server);
    const client = await ctx.peer.connect(ctx.host.address, 5012);
    const socket = await accepted;
    socket.end();
    await ctx.until('FIN-WAIT-2', () => socket.tcpState === 'FIN-WAIT-2');
    await ctx.peer.close(client);
    await ctx.until('TIME-WAIT', () => socket.tcpState === 'TIME-WAIT');
    server.close();
    const listen = (reuseAddress: boolean) =>
      new Promise<string>((resolve) => {
        const s = ctx.host.net.createServer();
        s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
        s.listen({ port: 5012, host: ctx.host.address, reuseAddress }, () => {
          s.close();
          resolve('listening');
        });
      });
    const without = await listen(false);
    ctx.check('without reuseAddress: EADDRINUSE while TIME-WAIT holds the port', without === 'EADDRINUSE', without);
    const withReuse = await listen(true);
    ctx.check('with reuseAddress: listening again at once', withReuse === 'listening', withReuse);
  },
};
