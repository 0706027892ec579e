// simultaneous-open: tcplab and the kernel each send a SYN to the other's port at the same
// time (both bound to fixed ports). tcplab holds the kernel's SYN back for a moment, so the
// SYNs cross: each side, in SYN-SENT, receives a bare SYN and moves to SYN-RECEIVED, answers
// with SYN-ACK, and reaches ESTABLISHED when the other's SYN-ACK arrives (RFC 9293 §3.5,
// Figure 8). Four segments instead of three.
import type { ScenarioDefinition } from '../scenario.js';
import { kernelReaches } from './common.js';

export const simultaneousOpen: ScenarioDefinition = {
  name: 'simultaneous-open',
  summary: 'both sides send SYN at once: SYN-SENT → SYN-RECEIVED → ESTABLISHED on both',
  expect: { tcplab: ['SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED'], kernel: ['SYN-SENT', 'SYN-RECV', 'ESTAB'] },
  ports: [5014, 5015],
  async run(ctx) {
    const { host, peer } = ctx;
    const ours = 5014;
    const theirs = 5015;
    // The kernel's SYN reaches tcplab after tcplab's own SYN left; the kernel's SYN-ACK later still.
    host.faults!.addRule({ direction: 'in', match: { flags: 'S', srcPort: theirs, dstPort: ours }, action: { kind: 'delay', ms: 200 } });
    host.faults!.addRule({ direction: 'in', match: { flags: 'S.', srcPort: theirs, dstPort: ours }, action: { kind: 'delay', ms: 500 } });
    const kernelSide = await peer.connect(host.address, ours, { nonblocking: true, bind: [host.peerAddress, theirs] });
    await kernelReaches(ctx, 'SYN-SENT', 2_000);
    const socket = host.net.connect({ host: host.peerAddress, port: theirs, localPort: ours });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    await ctx.peer.call('wait_connected', { sock: kernelSide.sock, timeout: 5 });
    await kernelReaches(ctx, 'ESTAB');
    ctx.check('both ends connected with four segments (two SYNs, two SYN-ACKs)', socket.tcpState === 'ESTABLISHED', `tcplab ${socket.tcpState}`);
    socket.destroy();
  },
};
