// syn-recv: the kernel's final ACK of the handshake is lost on its way to tcplab. The kernel
// believes it is ESTABLISHED; tcplab stays in SYN-RECEIVED and retransmits its SYN-ACK after
// 1 s, which the kernel answers with a new ACK that completes the handshake.
import type { ScenarioDefinition } from '../scenario.js';
import { kernelReaches, listenOn, nextConnection } from './common.js';

export const synRecv: ScenarioDefinition = {
  name: 'syn-recv',
  summary: 'the kernel\'s final ACK is dropped: tcplab stays SYN-RECEIVED and retransmits its SYN-ACK',
  expect: { tcplab: ['SYN-RECEIVED', 'ESTABLISHED'], kernel: ['ESTAB'] },
  ports: [5008],
  async run(ctx) {
    const server = await listenOn(ctx, 5008);
    ctx.host.faults!.addRule({ direction: 'in', match: { flags: '.', dstPort: 5008, dataLength: 0 }, action: { kind: 'drop' } });
    const accepted = nextConnection(server);
    const started = performance.now();
    await ctx.peer.connect(ctx.host.address, 5008);
    await kernelReaches(ctx, 'ESTAB');
    const half = [...ctx.host.net.stack.tcp.connections.values()].find((e) => e.local.port === 5008);
    ctx.check('tcplab is still SYN-RECEIVED while the kernel is ESTABLISHED', half?.connection.stateName === 'SYN-RECEIVED', half?.connection.stateName ?? 'no connection');
    const socket = await accepted;
    const after = (performance.now() - started) / 1000;
    ctx.check('the retransmitted SYN-ACK completed the handshake about 1 s later', after > 0.9 && after < 2, `${after.toFixed(2)} s`);
    socket.destroy();
  },
};
