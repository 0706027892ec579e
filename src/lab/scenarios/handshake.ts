// handshake: tcplab's client opens a connection to a kernel server, and a kernel client
// opens one to tcplab's server. tcplab goes SYN-SENT → ESTABLISHED on one and SYN-RECEIVED →
// ESTABLISHED on the other; the kernel shows ESTAB for both.
import type { ScenarioDefinition } from '../scenario.js';
import { connectFrom, kernelReaches, listenOn, nextConnection } from './common.js';

export const handshake: ScenarioDefinition = {
  name: 'handshake',
  summary: 'tcplab client ↔ kernel server, kernel client ↔ tcplab server: the three-way handshake both ways',
  expect: { tcplab: ['SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED'], kernel: ['ESTAB'] },
  ports: [5001, 5002],
  async run(ctx) {
    const { host, peer } = ctx;
    const listener = await peer.listen(5001, { host: host.peerAddress });
    const [client, kernelSide] = await Promise.all([connectFrom(ctx, 5001), peer.accept(listener)]);
    await kernelReaches(ctx, 'ESTAB');
    ctx.check('tcplab → kernel: connected', client.tcpState === 'ESTABLISHED', `tcplab ${client.tcpState}, kernel accepted ${kernelSide.peer.join(':')}`);

    const server = await listenOn(ctx, 5002);
    const accepted = nextConnection(server);
    await peer.connect(host.address, 5002);
    const serverSide = await accepted;
    ctx.check('kernel → tcplab: connected', serverSide.tcpState === 'ESTABLISHED', `tcplab accepted ${serverSide.remoteAddress}:${serverSide.remotePort}`);
    client.destroy();
    serverSide.destroy();
  },
};
