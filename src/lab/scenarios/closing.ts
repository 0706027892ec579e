// closing: both ends close at the same time and their FINs cross. The kernel's FIN is held
// back a little, so tcplab's FIN reaches the kernel in FIN-WAIT-1 (→ CLOSING); the kernel's ACK
// of it is held longer, so tcplab sees the kernel's FIN first, in FIN-WAIT-1 too (→ CLOSING).
// Each ACKs the other's FIN, and both go on to TIME-WAIT.
import type { ScenarioDefinition } from '../scenario.js';
import { connectFrom, kernelReaches } from './common.js';

export const closing: ScenarioDefinition = {
  name: 'closing',
  summary: 'both FINs cross: CLOSING on both sides, then TIME-WAIT on both',
  expect: { tcplab: ['FIN-WAIT-1', 'CLOSING', 'TIME-WAIT'], kernel: ['CLOSING', 'TIME-WAIT'] },
  ports: [5013],
  async run(ctx) {
    const { host, peer } = ctx;
    const listener = await peer.listen(5013, { host: host.peerAddress });
    const [socket, kernelSide] = await Promise.all([connectFrom(ctx, 5013), peer.accept(listener)]);
    const port = socket.localPort!;
    const finHeld = host.faults!.addRule({ direction: 'in', match: { flags: 'F.', srcPort: 5013, dstPort: port }, action: { kind: 'delay', ms: 150 } });
    host.faults!.addRule({
      direction: 'in',
      match: { flags: '.', srcPort: 5013, dstPort: port, dataLength: 0, where: () => socket.tcpState === 'FIN-WAIT-1' },
      action: { kind: 'delay', ms: 450 },
    });
    // The kernel closes first; as soon as its FIN is on the wire (held), tcplab closes too.
    await peer.close(kernelSide);
    await ctx.until("the kernel's FIN on the wire", () => finHeld.applied === 1);
    socket.end();
    await kernelReaches(ctx, 'CLOSING', 2_000);
    await ctx.until("tcplab's CLOSING", () => ctx.tcplabStates().has('CLOSING'), 2_000);
    await ctx.until("tcplab's TIME-WAIT", () => socket.tcpState === 'TIME-WAIT', 3_000);
    await kernelReaches(ctx, 'TIME-WAIT');
    ctx.check('both ends went through CLOSING to TIME-WAIT', true, 'simultaneous close');
  },
};
