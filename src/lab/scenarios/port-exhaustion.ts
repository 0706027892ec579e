// port-exhaustion (seeds 002, 004): tcplab's client has an ip_local_port_range of 10 ports and
// makes short connections to one kernel server, closing first each time. Every closed
// connection holds its 4-tuple in TIME-WAIT, so the 11th connect() fails with EADDRNOTAVAIL
// until TIME-WAIT ends. With tcp_tw_reuse (timestamps on, 1 s of age) connect() takes over a
// TIME-WAIT 4-tuple instead, with ISN = old SND.NXT + 65537.
import type { ScenarioDefinition } from '../scenario.js';
import { connectFrom } from './common.js';

export const portExhaustion: ScenarioDefinition = {
  name: 'port-exhaustion',
  summary: 'ten ephemeral ports, tcplab closing first: EADDRNOTAVAIL while TIME-WAIT holds them; tcpTwReuse frees them',
  expect: { tcplab: ['ESTABLISHED', 'FIN-WAIT-2', 'TIME-WAIT'], kernel: [] },
  ports: [5011],
  stack: () => ({ ipLocalPortRange: [40000, 40009], tcpTwReuse: 0 }),
  async run(ctx) {
    const { host, peer } = ctx;
    const listener = await peer.listen(5011, { host: host.peerAddress, backlog: 64 });
    for (let i = 0; i < 10; i++) {
      const [socket, kernelSide] = await Promise.all([connectFrom(ctx, 5011), peer.accept(listener)]);
      socket.end();
      await ctx.until('FIN-WAIT-2', () => socket.tcpState === 'FIN-WAIT-2');
      await peer.close(kernelSide);
      await ctx.until('TIME-WAIT', () => socket.tcpState === 'TIME-WAIT');
    }
    const inTimeWait = host.net.stack.tcp.timeWait.table.count;
    ctx.note(`${inTimeWait} connections in TIME-WAIT hold all ten ports`);
    const refused = await connectFrom(ctx, 5011).then(
      (s) => (s.destroy(), 'connected'),
      (err: NodeJS.ErrnoException) => err.code ?? String(err),
    );
    ctx.check('the 11th connect() fails with EADDRNOTAVAIL', refused === 'EADDRNOTAVAIL', refused);

    // sysctl -w net.ipv4.tcp_tw_reuse=1, then wait until the TIME-WAITs are 1 s old.
    host.net.stack.tcp.tcpTwReuse = 1;
    ctx.note('tcp_tw_reuse = 1');
    await ctx.sleep(1_100);
    const [again] = await Promise.all([connectFrom(ctx, 5011), peer.accept(listener)]);
    ctx.check('with tcpTwReuse and timestamps, connect() reuses a TIME-WAIT 4-tuple', again.tcpState === 'ESTABLISHED', `port ${again.localPort}, TWRecycled ${host.net.stack.counters.get('TcpExtTWRecycled')}`);
    again.destroy();
  },
};
