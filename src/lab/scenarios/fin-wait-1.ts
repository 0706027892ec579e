// fin-wait-1: tcplab closes, and the kernel's ACKs of that FIN are lost. tcplab stays in
// FIN-WAIT-1 retransmitting its FIN on the RTO; the kernel, which did receive it, is in
// CLOSE-WAIT. Once the FIN went out three times, ACKs get through again: FIN-WAIT-2.
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
    // The kernel's ACKs of our FIN are lost until tcplab has retransmitted it twice (and been
    // seen in FIN-WAIT-1 meanwhile); then they get through.
    const lostAcks = ctx.host.faults!.addRule({
      direction: 'in',
      match: { srcPort: 5009, dstPort: port, dataLength: 0, where: () => socket.tcpState === 'FIN-WAIT-1' },
      action: { kind: 'drop' },
      times: Infinity,
    });
    const retrans = () => socket.endpoint?.connection.counters.retransSegs ?? 0;
    socket.end();
    await kernelReaches(ctx, 'CLOSE-WAIT');
    await ctx.until('two retransmissions of the FIN', () => retrans() >= 2, 15_000);
    ctx.check('tcplab is in FIN-WAIT-1 while the kernel is in CLOSE-WAIT', socket.tcpState === 'FIN-WAIT-1', socket.tcpState);
    lostAcks.remove();
    await tcplabReaches(ctx, socket, 'FIN-WAIT-2', 15_000);
    ctx.check('the FIN was retransmitted until its ACK got through', retrans() >= 2 && lostAcks.applied >= 2, `${retrans()} retransmissions, ${lostAcks.applied} ACKs lost`);
    socket.destroy();
  },
};
