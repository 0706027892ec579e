// tcplab on one side of an in-memory link and a second tcplab stack, in Linux's defaults, on
// the other: the scenarios' host where no TUN device or private namespace can be had. The
// same layers as over TUN on tcplab's side (capture, tap, packet control), no kernel and no
// namespace.
import { CaptureLink } from '../link/capture-link.js';
import { FaultLink } from '../link/fault-link.js';
import type { Link } from '../link/link.js';
import { MemoryLink } from '../link/memory-link.js';
import { wallClockNs } from '../link/pcap-writer.js';
import { TapLink } from '../link/tap-link.js';
import { createStack, type NetStack } from '../net/net-stack.js';
import type { TcpConfig } from '../tcp/config.js';
import type { LabHostOptions, ScenarioHost } from './lab-host.js';

export interface MemoryLabHost extends ScenarioHost {
  /** The stack playing the kernel's part. */
  readonly peerNet: NetStack;
}

/** `peerTcp`: the peer stack's TCP tunables (the scenario's timers; Linux's defaults otherwise). */
export function openMemoryLabHost(options: LabHostOptions = {}, peerTcp: Partial<TcpConfig> = {}): MemoryLabHost {
  const address = options.addr?.split('/')[0] ?? '10.77.0.2';
  const peerAddress = options.peerAddr ?? '10.77.0.1';
  const [ours, theirs] = MemoryLink.pair({ mtu: options.mtu ?? 1500 });
  let link: Link = ours;
  const capture = options.pcap ? new CaptureLink(link, options.pcap, { snapLength: options.pcapSnapLength }) : undefined;
  if (capture) link = capture;
  if (options.onPacket) link = new TapLink(link, options.onPacket);
  const faults = options.faults
    ? new FaultLink(link, {
        ...options.faults,
        onInjected: (packet, direction) => {
          capture?.writer.write(packet, wallClockNs());
          options.faults?.onInjected?.(packet, direction);
        },
      })
    : undefined;
  if (faults) link = faults;
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
