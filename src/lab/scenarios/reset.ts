// reset: an abortive close (SO_LINGER 0 / resetAndDestroy) sends RST instead of FIN; the
// kernel's next read fails with ECONNRESET and both ends are CLOSED at once, no TIME-WAIT.
import { KernelPeerError } from '../kernel-peer.js';
import type { ScenarioDefinition } from '../scenario.js';
import { kernelReaches, listenOn, nextConnection, tcplabReaches } from './common.js';

export const reset: ScenarioDefinition = {
  name: 'reset',
  summary: 'abortive close (linger 0): tcplab sends RST, the kernel reads ECONNRESET',
  expect: { tcplab: ['ESTABLISHED', 'CLOSED'], kernel: ['ESTAB'] },
  ports: [5005],
  async run(ctx) {
    const server = await listenOn(ctx, 5005);
    const accepted = nextConnection(server);
    const client = await ctx.peer.connect(ctx.host.address, 5005);
    const socket = await accepted;
    await kernelReaches(ctx, 'ESTAB');
    socket.resetAndDestroy();
    await tcplabReaches(ctx, socket, 'CLOSED');
    const outcome = await ctx.peer.recv(client, 100, 5).then(
      () => 'no error',
      (err: unknown) => (err instanceof KernelPeerError ? err.code : String(err)),
    );
    ctx.check('the kernel reads ECONNRESET', outcome === 'ECONNRESET', outcome);
    const rows = await ctx.kernel.poll();
    ctx.check('nothing is left on the kernel side (no TIME-WAIT after a RST)', rows.every((r) => r.state === 'LISTEN'), rows.map((r) => r.state).join(', ') || 'no sockets');
  },
};
