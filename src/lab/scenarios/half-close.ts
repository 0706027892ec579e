// half-close: tcplab shuts down its write side (FIN) and keeps reading; the kernel, in
// CLOSE-WAIT, goes on writing; tcplab reads everything in FIN-WAIT-2 before the kernel closes.
import { patternSha256 } from '../pattern.js';
import type { ScenarioDefinition } from '../scenario.js';
import { connectFrom, kernelReaches, tcplabReaches } from './common.js';
import { createHash } from 'node:crypto';

export const halfClose: ScenarioDefinition = {
  name: 'half-close',
  summary: 'tcplab shuts down writing and keeps reading: FIN-WAIT-2 reading ↔ CLOSE-WAIT writing',
  expect: { tcplab: ['FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT'], kernel: ['CLOSE-WAIT'] },
  ports: [5006],
  async run(ctx) {
    const listener = await ctx.peer.listen(5006, { host: ctx.host.peerAddress });
    const [socket, kernelSide] = await Promise.all([connectFrom(ctx, 5006, { allowHalfOpen: true }), ctx.peer.accept(listener)]);
    const hash = createHash('sha256');
    let received = 0;
    socket.on('data', (d: Buffer) => {
      hash.update(d);
      received += d.length;
    });
    let ended = false;
    socket.on('end', () => (ended = true));
    socket.end();
    await tcplabReaches(ctx, socket, 'FIN-WAIT-2');
    await kernelReaches(ctx, 'CLOSE-WAIT');
    const bytes = 1_000_000;
    const sent = await ctx.peer.sendPattern(kernelSide, bytes);
    ctx.note(`the kernel wrote ${bytes} bytes from CLOSE-WAIT`);
    await ctx.peer.close(kernelSide);
    await ctx.until('the end of the kernel\'s data', () => ended);
    ctx.check('tcplab read every byte the kernel wrote after its own FIN', received === bytes && hash.digest('hex') === sent && sent === patternSha256(bytes), `${received} bytes`);
  },
};
