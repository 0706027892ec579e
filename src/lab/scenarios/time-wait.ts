// time-wait: tcplab closes first, the kernel closes too, and tcplab holds the 4-tuple in
// TIME-WAIT for 2 × MSL. Our last ACK is lost once, so the kernel retransmits its FIN from
// LAST-ACK: TIME-WAIT ACKs it again and starts its 2MSL wait over.
import type { ScenarioDefinition } from '../scenario.js';
import { connectFrom, kernelReaches, tcplabReaches } from './common.js';

export const timeWait: ScenarioDefinition = {
  name: 'time-wait',
  summary: 'tcplab closes first: TIME-WAIT for exactly 2MSL; a retransmitted FIN is re-ACKed and restarts it',
  expect: { tcplab: ['FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSED'], kernel: ['CLOSE-WAIT', 'LAST-ACK'] },
  ports: [5004],
  async run(ctx) {
    const { host, peer } = ctx;
    const listener = await peer.listen(5004, { host: host.peerAddress });
    const [socket, kernelSide] = await Promise.all([connectFrom(ctx, 5004), peer.accept(listener)]);
    const port = socket.localPort!;
    // Lose our first ACK of the kernel's FIN: the kernel stays in LAST-ACK and sends it again.
    host.faults!.addRule({ direction: 'out', match: { flags: '.', dstPort: 5004, srcPort: port, dataLength: 0, where: () => socket.tcpState === 'TIME-WAIT' }, action: { kind: 'drop' } });
    socket.end();
    await tcplabReaches(ctx, socket, 'FIN-WAIT-2');
    await kernelReaches(ctx, 'CLOSE-WAIT');
    const ep = socket.endpoint!;
    await peer.close(kernelSide);
    await tcplabReaches(ctx, socket, 'TIME-WAIT');
    await kernelReaches(ctx, 'LAST-ACK');
    // The kernel's retransmitted FIN restarts the timer: remember when it last did, on the
    // stack's clock (the new expiry less 2MSL: exact, however late this loop looks).
    let lastRestart = ctx.host.net.now();
    const twMs = 2 * ctx.timers.msl;
    let restarts = 0;
    let expiresAt = (ep.state as { expiresAt?: number }).expiresAt;
    const countdown = setInterval(() => {
      const st = ep.state as { name: string; expiresAt?: number };
      if (st.name === 'TIME-WAIT' && st.expiresAt !== expiresAt) {
        expiresAt = st.expiresAt;
        restarts++;
        lastRestart = (st.expiresAt ?? 0) - 2 * ctx.timers.msl;
        ctx.note(`TIME-WAIT restarted by a retransmitted FIN: ${twMs} ms from now`);
      }
    }, 5);
    try {
      await ctx.until('the end of TIME-WAIT', () => ep.stateName === 'CLOSED', twMs * 3 + 10_000);
    } finally {
      clearInterval(countdown);
    }
    const held = ctx.host.net.now() - lastRestart;
    ctx.check('the retransmitted FIN restarted TIME-WAIT', restarts >= 1, `${restarts} restart(s)`);
    ctx.check(`TIME-WAIT lasted 2 × MSL (${twMs} ms) after the last FIN`, held >= twMs && held < twMs + 1000, `${Math.round(held)} ms`);
  },
};
