// ping: the first proof that packets cross both ways. The kernel pings tcplab's IPv4 and
// IPv6 addresses, and tries a TCP connection to a port nobody listens on: tcplab answers
// the echoes and resets the SYN (RFC 9293 §3.10.7.1), so connect() fails with ECONNREFUSED.
import { KernelPeerError } from '../kernel-peer.js';
import type { ScenarioDefinition } from '../scenario.js';
import { kernelNamespace } from './common.js';

export const ping: ScenarioDefinition = {
  name: 'ping',
  summary: 'the kernel pings tcplab (IPv4 and IPv6) and connects to a closed port (RST, ECONNREFUSED)',
  expect: { tcplab: [], kernel: [] },
  ports: [80],
  needsKernel: 'runs ping in the namespace',
  async run(ctx) {
    const { host } = ctx;
    for (const [flag, address] of [['-4', host.address], ['-6', host.address6]] as const) {
      if (address === undefined) continue;
      const out = await kernelNamespace(ctx).exec(['ping', flag, '-c', '3', '-i', '0.2', '-W', '2', address]);
      const summary = /(\d+) packets transmitted, (\d+) received/.exec(out.stdout);
      ctx.check(`ping ${flag} ${address}: 3 replies`, summary?.[2] === '3', summary ? `${summary[2]} of ${summary[1]} answered` : out.stderr.trim() || 'ping printed no summary');
    }
    const outcome = await ctx.peer.connect(host.address, 80, { timeoutSeconds: 3 }).then(
      () => 'connected',
      (err: unknown) => (err instanceof KernelPeerError ? err.code : String(err)),
    );
    ctx.check(`the kernel's connect() to ${host.address}:80, where nothing listens: ECONNREFUSED`, outcome === 'ECONNREFUSED', outcome);
  },
};
