// simultaneous-open: tcplab and the kernel each send a SYN to the other's port at the same
// time (both bound to fixed ports). The SYNs cross: each side, in SYN-SENT, receives a bare SYN
// and moves to SYN-RECEIVED, answers with SYN-ACK, and reaches ESTABLISHED when the other's
// SYN-ACK arrives (RFC 9293 §3.5, Figure 8). Four segments instead of three.
//
// To make them cross whatever the timing, the kernel's SYN is held back on the way until
// tcplab's own SYN has reached the kernel, and the kernel's SYN-ACK until tcplab has answered
// the released SYN.
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
    const faults = host.faults!;
    const kernelSyn = faults.addRule({ direction: 'in', match: { flags: 'S', srcPort: theirs, dstPort: ours }, action: { kind: 'hold' } });
    const kernelSynAck = faults.addRule({ direction: 'in', match: { flags: 'S.', srcPort: theirs, dstPort: ours }, action: { kind: 'hold' } });
    // The kernel connects first; its SYN waits on the way.
    const kernelSide = await peer.connect(host.address, ours, { nonblocking: true, bind: [host.peerAddress, theirs] });
    await kernelReaches(ctx, 'SYN-SENT', 5_000);
    await ctx.until("the kernel's SYN on its way", () => kernelSyn.holding > 0);
    // tcplab connects: its SYN meets the kernel in SYN-SENT, which answers SYN-ACK (held too).
    const socket = host.net.connect({ host: host.peerAddress, port: theirs, localPort: ours });
    const connected = new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    await ctx.until("the kernel's SYN-ACK", () => kernelSynAck.holding > 0);
    // The kernel stays in SYN-RECV until tcplab's SYN-ACK, which needs the held SYN: see it.
    await kernelReaches(ctx, 'SYN-RECV', 5_000);
    // Now the kernel's SYN arrives: tcplab, in SYN-SENT, goes to SYN-RECEIVED and answers.
    kernelSyn.release();
    await ctx.until('tcplab in SYN-RECEIVED', () => socket.tcpState === 'SYN-RECEIVED');
    kernelSynAck.release();
    await connected;
    await peer.waitConnected(kernelSide, 5);
    await kernelReaches(ctx, 'ESTAB');
    ctx.check('both ends connected with four segments (two SYNs, two SYN-ACKs)', socket.tcpState === 'ESTABLISHED', `tcplab ${socket.tcpState}`);
    socket.destroy();
  },
};
