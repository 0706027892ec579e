// fin-wait-1: tcplab closes, and the kernel's ACK of that FIN is lost (twice). tcplab stays in
// FIN-WAIT-1 retransmitting its FIN on the RTO; the kernel, which did receive it, is in
// CLOSE-WAIT. The third retransmission's ACK gets through: FIN-WAIT-2.
import type { ScenarioDefinition } from '../scenario.js';
import { connectFrom, kernelReaches, tcplabReaches } from './common.js';

export const finWait1: ScenarioDefinition = {
  name: 'fin-wait-1',
  summary: 'tcplab closes; the kernel\'s ACK of the FIN is dropped: FIN-WAIT-1 retransmitting ↔ CLOSE-WAIT',
  expect: { tcplab: ['FIN-WAIT-1', 'FIN-WAIT-2'], kernel: ['CLOSE-WAIT'] },
  ports: [5009],
  async run(ctx) {
    const listener = await ctx.peer.listen(5009, { host: ctx.host.peerAddress });
    const [socket] = await Promise.all([connectFrom(ctx, 5009), ctx.peer.accept(listener)]);
    const port = socket.localPort!;
    ctx.host.faults!.addRule({
      direction: 'in',
      match: { srcPort: 5009, dstPort: port, dataLength: 0, where: () => socket.tcpState === 'FIN-WAIT-1' },
      action: { kind: 'drop' },
      times: 2,
    });
    socket.end();
    await kernelReaches(ctx, 'CLOSE-WAIT');
    await ctx.sleep(300);
    ctx.check('tcplab is in FIN-WAIT-1 while the kernel is in CLOSE-WAIT', socket.tcpState === 'FIN-WAIT-1', socket.tcpState);
    const retrans = () => socket.endpoint?.connection.counters.retransSegs ?? 0;
    await tcplabReaches(ctx, socket, 'FIN-WAIT-2', 15_000);
    ctx.check('the FIN was retransmitted until its ACK got through', retrans() >= 2, `${retrans()} retransmissions`);
    socket.destroy();
  },
};
