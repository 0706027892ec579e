// last-ack: the kernel closes first; tcplab (in CLOSE-WAIT) closes too, and the kernel's ACK
// of tcplab's FIN is lost: tcplab waits in LAST-ACK and retransmits its FIN, the kernel is in
// FIN-WAIT-2 and then TIME-WAIT.
import type { ScenarioDefinition } from '../scenario.js';
import { kernelReaches, listenOn, nextConnection, tcplabReaches } from './common.js';

export const lastAck: ScenarioDefinition = {
  name: 'last-ack',
  summary: 'the kernel closes first, tcplab closes, its FIN\'s ACK is dropped: LAST-ACK ↔ FIN-WAIT-2 / TIME-WAIT',
  expect: { tcplab: ['CLOSE-WAIT', 'LAST-ACK', 'CLOSED'], kernel: ['FIN-WAIT-2', 'TIME-WAIT'] },
  ports: [5010],
  async run(ctx) {
    const server = await listenOn(ctx, 5010, { allowHalfOpen: true });
    const accepted = nextConnection(server);
    const client = await ctx.peer.connect(ctx.host.address, 5010);
    const socket = await accepted;
    socket.resume();
    await ctx.peer.close(client);
    await tcplabReaches(ctx, socket, 'CLOSE-WAIT');
    await kernelReaches(ctx, 'FIN-WAIT-2');
    ctx.host.faults!.addRule({
      direction: 'in',
      match: { srcPort: socket.remotePort, dstPort: 5010, where: () => socket.tcpState === 'LAST-ACK' },
      action: { kind: 'drop' },
      times: 1,
    });
    const ep = socket.endpoint!;
    socket.end();
    await ctx.until("tcplab's LAST-ACK", () => ep.connection.stateName === 'LAST-ACK');
    await kernelReaches(ctx, 'TIME-WAIT');
    await ctx.until('the retransmitted FIN to be acknowledged', () => ep.connection.stateName === 'CLOSED', 10_000);
    ctx.check('tcplab retransmitted its FIN from LAST-ACK', ep.connection.counters.retransSegs >= 1, `${ep.connection.counters.retransSegs} retransmission(s)`);
  },
};
