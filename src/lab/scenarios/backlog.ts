// backlog (seed 001): tcplab's server listens with backlog 1 and never accepts. Kernel clients
// connect one after another: two complete (the accept queue holds backlog + 1), the third's
// SYN is dropped silently and retransmitted on Linux's schedule (SYN-SENT), and
// ListenOverflows/ListenDrops grow. When the first client gives up and closes, its
// never-accepted connection moves to CLOSE-WAIT, still in the queue.
import type { ScenarioDefinition } from '../scenario.js';
import { kernelReaches, listenOn } from './common.js';

export const backlog: ScenarioDefinition = {
  name: 'backlog',
  summary: 'backlog 1, never accepting: two connections complete, the third SYN is dropped and retransmitted',
  expect: { tcplab: ['SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT'], kernel: ['ESTAB', 'SYN-SENT'] },
  ports: [50001],
  // The third client gives up sooner in quick mode (SYNs at 0, 1, 2, 3 s).
  sysctls: (t) => [`net.ipv4.tcp_syn_retries=${t.tcpSynRetries}`],
  async run(ctx) {
    const { host, peer } = ctx;
    const server = await listenOn(ctx, 50001, { backlog: 1, pauseAccepting: true });
    const first = await peer.connect(host.address, 50001);
    await peer.connect(host.address, 50001);
    // The client is connected once it sent its ACK; tcplab has the connection when that arrives.
    await ctx.until('two connections in the accept queue', () => server.acceptQueueLength >= 2, 2_000).catch(() => undefined);
    ctx.check('two connections complete with backlog 1', server.acceptQueueLength === 2, `${server.acceptQueueLength} in the accept queue`);
    const third = await peer.connect(host.address, 50001, { nonblocking: true });
    await kernelReaches(ctx, 'SYN-SENT');
    await ctx.sleep(2_300);
    const overflows = host.net.stack.counters.get('TcpExtListenOverflows');
    ctx.check('the third SYN and its retransmissions were dropped (ListenOverflows, ListenDrops)', overflows >= 3 && host.net.stack.counters.get('TcpExtListenDrops') >= 3, `ListenOverflows ${overflows}, ListenDrops ${host.net.stack.counters.get('TcpExtListenDrops')}`);
    const rows = await ctx.kernel.poll();
    const synSent = rows.find((r) => r.state === 'SYN-SENT');
    ctx.check('the kernel retransmits the third SYN (ss shows timer:(on,…))', synSent?.timer?.name === 'on' && synSent.timer.count >= 1, synSent?.timer ? `timer:(${synSent.timer.name},${synSent.timer.time},${synSent.timer.count})` : 'no SYN-SENT socket');
    // The first client gives up: its connection, still waiting to be accepted, gets a FIN.
    await peer.close(first);
    await ctx.until('CLOSE-WAIT in the accept queue', () => ctx.tcplabStates().has('CLOSE-WAIT'));
    ctx.check('the unaccepted connection is in CLOSE-WAIT after its client closed', [...host.net.stack.tcp.connections.values()].some((e) => e.connection.stateName === 'CLOSE-WAIT' && e.queue === 'accept'), 'still in the accept queue');
    await peer.close(third);
    server.close();
  },
};
