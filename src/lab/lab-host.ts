// tcplab on one side of a TUN device, the kernel on the other, inside a private network
// namespace: what `serve`, `connect` and the scenarios stand on.
import type { CaptureLink } from '../link/capture-link.js';
import type { FaultLink } from '../link/fault-link.js';
import { TunLink } from '../link/tun-link.js';
import { createStack, type NetStack } from '../net/net-stack.js';
import type { StackOptions } from '../stack/stack.js';
import { parseCidr } from '../wire/address.js';
import { layerLink, type LinkLayerOptions } from './link-layers.js';
import { Netns, USERNS_ENV } from './netns.js';

/** The kernel's default (500) drops packets under load at MTU 1500. */
const TUN_TX_QUEUE_LEN = 5000;

export interface LabHostOptions extends LinkLayerOptions {
  /** An existing namespace name to use (created when missing, then left in place); default a
   *  private one made here and removed by close(). */
  netns?: string;
  /** tcplab's address with prefix (default 10.77.0.2/24), and the kernel's on the TUN device
   *  (default 10.77.0.1). IPv6 fd00:77::2 / fd00:77::1 are added too unless `ipv6` is false. */
  addr?: string;
  peerAddr?: string;
  ipv6?: boolean;
  mtu?: number;
  /** Stack options (tcp config: msl, tcpFinTimeout...; somaxconn; ipLocalPortRange). */
  stack?: Partial<StackOptions>;
}

/** What a scenario runs on: tcplab's stack and the addresses of both ends. */
export interface ScenarioHost {
  /** The namespace with the kernel peer; undefined over the in-memory link (no kernel). */
  readonly ns: Netns | undefined;
  readonly net: NetStack;
  /** tcplab's IPv4 address and the kernel's. */
  readonly address: string;
  readonly peerAddress: string;
  readonly address6: string | undefined;
  readonly peerAddress6: string | undefined;
  readonly capture: CaptureLink | undefined;
  readonly faults: FaultLink | undefined;
  close(): void;
}

/** tcplab and the kernel on a TUN device in a namespace. */
export interface LabHost extends ScenarioHost {
  readonly ns: Netns;
  readonly device: string;
}

export function openLabHost(options: LabHostOptions = {}): LabHost {
  const cidr = parseCidr(options.addr ?? '10.77.0.2/24');
  if (!cidr.ok) throw Object.assign(new TypeError(`--addr: ${cidr.error}`), { code: 'ERR_INVALID_ARG_VALUE' });
  const address = options.addr?.split('/')[0] ?? '10.77.0.2';
  const peerAddress = options.peerAddr ?? '10.77.0.1';
  const ipv6 = options.ipv6 ?? true;
  const ns = options.netns ? Netns.attach(options.netns) : Netns.create('tcplab-');
  let tun: TunLink | undefined;
  try {
    // Inside tcplab's own user namespace the queue-length ioctl is refused (it checks the initial
    // namespace's CAP_NET_ADMIN); netlink is namespace-aware, so `ip link` sets it there.
    const userns = process.env[USERNS_ENV] === '1';
    tun = TunLink.open({
      netns: ns.path,
      ...(userns ? { txQueueLen: null } : {}),
      mtu: options.mtu ?? 1500,
      addresses: [`${peerAddress}/${cidr.prefixLength}`, ...(ipv6 ? ['fd00:77::1/64'] : [])],
    });
    if (userns) ns.runSync(['ip', 'link', 'set', 'dev', tun.device.name, 'txqueuelen', String(TUN_TX_QUEUE_LEN)]);
    const { link, capture, faults } = layerLink(tun, options);
    const net = createStack({ link, addresses: [address, ...(ipv6 ? ['fd00:77::2'] : [])], ...options.stack });
    const device = tun.device.name;
    return {
      ns,
      net,
      address,
      peerAddress,
      address6: ipv6 ? 'fd00:77::2' : undefined,
      peerAddress6: ipv6 ? 'fd00:77::1' : undefined,
      device,
      capture,
      faults,
      close() {
        net.close();
        capture?.writer.close();
        ns.destroy();
      },
    };
  } catch (err) {
    tun?.close();
    ns.destroy();
    throw err;
  }
}
