// last-ack-lost: tcplab closes first; the kernel answers with its FIN and waits in LAST-ACK;
// tcplab's final ACK is lost. The kernel retransmits its FIN:
//  - with TIME-WAIT, tcplab still knows the connection and ACKs it again: a clean close;
//  - with TIME-WAIT disabled (msl 0), tcplab has forgotten the connection and answers the FIN
//    with RST: the kernel's socket ends in error (its next read fails with ECONNRESET).
// This is the first reason TIME-WAIT exists (RFC 9293 §3.6, "reliably terminating").
import type { ScenarioContext, ScenarioDefinition } from '../scenario.js';
import { connectFrom, kernelReaches } from './common.js';

async function closeLosingLastAck(ctx: ScenarioContext, port: number): Promise<string> {
  const { host, peer } = ctx;
  const listener = await peer.listen(port, { host: host.peerAddress });
  const [socket, kernelSide] = await Promise.all([connectFrom(ctx, port), peer.accept(listener)]);
  const local = socket.localPort!;
  const ep = socket.endpoint!;
  // Our ACK of the kernel's FIN: the first one is lost.
  host.faults!.addRule({ direction: 'out', match: { flags: '.', srcPort: local, dstPort: port, where: () => ep.stateName === 'TIME-WAIT' || ep.stateName === 'CLOSED' }, action: { kind: 'drop' } });
  socket.end();
  await ctx.until('FIN-WAIT-2', () => ep.stateName === 'FIN-WAIT-2');
  // The kernel application shuts down its side but keeps the socket, to see how it ends.
  await peer.shutdown(kernelSide, 'wr');
  await kernelReaches(ctx, 'LAST-ACK');
  // The kernel retransmits its FIN after its RTO (200 ms and up), then its socket is done one
  // way or the other: SO_ERROR tells which.
  await ctx.until('the kernel to leave LAST-ACK', async () => !(await ctx.kernel.poll()).some((r) => r.state === 'LAST-ACK' && r.peer.endsWith(`:${local}`)), 5_000);
  const error = await peer.socketError(kernelSide);
  await peer.close(kernelSide);
  return error ?? 'no error';
}

export const lastAckLost: ScenarioDefinition = {
  name: 'last-ack-lost',
  summary: "tcplab's final ACK is lost: TIME-WAIT re-ACKs the kernel's retransmitted FIN; with msl 0 the kernel gets RST",
  expect: { tcplab: ['FIN-WAIT-2', 'TIME-WAIT', 'CLOSED'], kernel: ['LAST-ACK'] },
  ports: [5016, 5017],
  async run(ctx) {
    const clean = await closeLosingLastAck(ctx, 5016);
    ctx.check('with TIME-WAIT: the retransmitted FIN is ACKed again, the kernel closes cleanly', clean === 'no error', clean);
    const resetsBefore = ctx.host.net.stack.counters.get('TcpOutRsts');
    ctx.host.net.stack.tcp.configure({ msl: 0 });
    ctx.note('msl = 0: TIME-WAIT disabled');
    const broken = await closeLosingLastAck(ctx, 5017);
    const resets = ctx.host.net.stack.counters.get('TcpOutRsts') - resetsBefore;
    ctx.check('without TIME-WAIT: the retransmitted FIN meets a RST', resets >= 1, `${resets} RST sent`);
    ctx.check('and the kernel socket ends in error: SO_ERROR is ECONNRESET', broken === 'ECONNRESET', broken);
  },
};
