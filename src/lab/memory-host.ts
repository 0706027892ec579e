// tcplab on one side of an in-memory link and a second tcplab stack, in Linux's defaults, on
// the other: the scenarios' host where no TUN device or private namespace can be had. The
// same layers as over TUN on tcplab's side (capture, tap, packet control), no kernel and no
// namespace.
import { MemoryLink } from '../link/memory-link.js';
import { createStack, type NetStack } from '../net/net-stack.js';
import type { TcpConfig } from '../tcp/config.js';
import type { LabHostOptions, ScenarioHost } from './lab-host.js';
import { layerLink } from './link-layers.js';

export interface MemoryLabHost extends ScenarioHost {
  /** The stack playing the kernel's part. */
  readonly peerNet: NetStack;
}

/** `peerTcp`: the peer stack's TCP tunables (the scenario's timers; Linux's defaults otherwise). */
export function openMemoryLabHost(options: LabHostOptions = {}, peerTcp: Partial<TcpConfig> = {}): MemoryLabHost {
  const address = options.addr?.split('/')[0] ?? '10.77.0.2';
  const peerAddress = options.peerAddr ?? '10.77.0.1';
  const [ours, theirs] = MemoryLink.pair({ mtu: options.mtu ?? 1500 });
  const { link, capture, faults } = layerLink(ours, options);
  const net = createStack({ link, addresses: [address, 'fd00:77::2'], ...options.stack });
  const peerNet = createStack({ link: theirs, addresses: [peerAddress, 'fd00:77::1'], tcp: peerTcp });
  return {
    ns: undefined,
    net,
    peerNet,
    address,
    peerAddress,
    address6: 'fd00:77::2',
    peerAddress6: 'fd00:77::1',
    capture,
    faults,
    close() {
      net.close();
      peerNet.close();
      capture?.writer.close();
    },
  };
}
