// ICMP errors with the Linux kernel, over a real TUN device, in two private namespaces:
//
//   tcplab 10.95.0.2 ─TUN─ 10.95.0.1 [kernel "router", ns A] 10.96.0.1 ─veth, MTU 1280─ 10.96.0.2 [kernel server, ns B]
//          fd00:95::2          fd00:95::1                    fd00:96::1                    fd00:96::2
//
// B's own link has MTU 1500, so it offers MSS 1460; the router's link toward it takes 1280. The
// kernel in A forwards tcplab's segments and answers those that do not fit with "fragmentation
// needed" / "packet too big"; it answers for addresses behind an `unreachable` route with
// destination unreachable; a raw socket in A plays an attacker who spoofs ICMP errors; a UDP
// client in A hammers a closed port of tcplab. Nothing leaves the two namespaces.
import { once } from 'node:events';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KernelPeer } from '../../src/lab/kernel-peer.js';
import { Netns } from '../../src/lab/netns.js';
import { patternBytes, patternSha256 } from '../../src/lab/pattern.js';
import { TunLink } from '../../src/link/tun-link.js';
import { NetStack } from '../../src/net/net-stack.js';
import type { Socket } from '../../src/net/socket.js';
import { parseIpAddress } from '../../src/wire/address.js';
import { describeTun, NETNS_PREFIX } from './harness.js';

const TCPLAB = '10.95.0.2';
const TCPLAB6 = 'fd00:95::2';
const SERVER = '10.96.0.2';
const SERVER6 = 'fd00:96::2';
const PATH_MTU = 1280;

/** An ICMP destination unreachable from ns A to tcplab, quoting a TCP segment tcplab could
 *  have sent (src → dst, ports, sequence number): what an off-path attacker can forge. */
const SPOOF = `
import socket, struct, sys
src, dst, sport, dport, seq, code, mtu = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
def csum(b):
    if len(b) % 2: b += b'\\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 1480, 0, 0x4000, 64, 6, 0, socket.inet_aton(src), socket.inet_aton(dst))
tcp = struct.pack('!HHIIBBHHH', sport, dport, seq, 0, 0x80, 0x18, 502, 0, 0) + bytes(12)
body = ip + tcp
msg = struct.pack('!BBHHH', 3, code, 0, 0, mtu) + body
msg = msg[:2] + struct.pack('!H', csum(msg)) + msg[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.sendto(msg, (src, 0))
`;

/** 300 UDP datagrams to a closed port of tcplab, as fast as Python sends them. */
const HAMMER = `
import socket, sys, time
family = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(family, socket.SOCK_DGRAM)
t = time.monotonic()
for i in range(300):
    s.sendto(b'x', (sys.argv[1], 9))
print(time.monotonic() - t)
`;

describeTun('ICMP errors with the kernel (path MTU, spoofed errors, rate limits)', (getNs) => {
  let nsB: Netns;
  let net: NetStack;
  let peer: KernelPeer;
  let port = 7000;

  beforeAll(async () => {
    const nsA = getNs();
    nsB = Netns.create(NETNS_PREFIX);
    // No duplicate address detection on the veth: the link-local addresses neighbor discovery
    // needs are usable at once (otherwise the first IPv6 SYNs wait for DAD).
    for (const ns of [nsA, nsB]) ns.runSync(['sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    nsA.runSync(['ip', 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', nsB.name]);
    for (const cmd of [
      ['sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1'],
      ['ip', 'addr', 'add', '10.96.0.1/24', 'dev', 'va'],
      ['ip', '-6', 'addr', 'add', 'fd00:96::1/64', 'dev', 'va', 'nodad'],
      ['ip', 'link', 'set', 'va', 'mtu', String(PATH_MTU), 'up'],
      ['ip', 'route', 'add', 'unreachable', '10.97.0.0/24'],
      ['ip', '-6', 'route', 'add', 'unreachable', 'fd00:97::/64'],
    ]) nsA.runSync(cmd);
    for (const cmd of [
      ['ip', 'addr', 'add', `${SERVER}/24`, 'dev', 'vb'],
      ['ip', '-6', 'addr', 'add', `${SERVER6}/64`, 'dev', 'vb', 'nodad'],
      ['ip', 'link', 'set', 'vb', 'up'],
      ['ip', 'route', 'add', 'default', 'via', '10.96.0.1'],
      ['ip', '-6', 'route', 'add', 'default', 'via', 'fd00:96::1'],
    ]) nsB.runSync(cmd);
    // Resolve the neighbors across the veth once, so no first SYN waits on neighbor discovery.
    await nsA.run(['ping', '-c', '1', '-W', '5', SERVER]);
    await nsA.run(['ping', '-6', '-c', '1', '-W', '5', SERVER6]);
    const link = TunLink.open({ netns: nsA.name, addresses: ['10.95.0.1/24', 'fd00:95::1/64'] });
    net = new NetStack({ link, addresses: [TCPLAB, TCPLAB6] });
    peer = await KernelPeer.start(nsB);
  });
  afterAll(async () => {
    await peer?.stop();
    net?.close();
    nsB?.destroy();
  });

  const counter = (name: Parameters<typeof net.stack.counters.get>[0]) => net.stack.counters.get(name);

  async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /** A tcplab client connected to the kernel server in B, and the server's socket. */
  async function connectToServer(host: string): Promise<{ socket: Socket; accepted: Awaited<ReturnType<KernelPeer['accept']>> }> {
    const p = port++;
    const listener = await peer.listen(p, { host });
    const socket = net.connect({ host, port: p });
    await once(socket, 'connect');
    const accepted = await peer.accept(listener);
    return { socket, accepted };
  }

  /** Write `total` bytes of the pattern through the socket, with its backpressure. */
  async function writePattern(socket: Socket, total: number): Promise<void> {
    for (let at = 0; at < total; at += 65536) {
      if (!socket.write(Buffer.from(patternBytes(Math.min(65536, total - at), at)))) await once(socket, 'drain');
    }
  }

  /** The kernel's ICMP counters in a namespace (/proc/net/snmp and snmp6 are per namespace). */
  async function kernelIcmp(ns: Netns): Promise<{ inDestUnreachs: number; in6DestUnreachs: number; outDestUnreachs: number; out6PktTooBigs: number }> {
    const snmp = (await ns.run(['cat', '/proc/net/snmp'])).split('\n').filter((l) => l.startsWith('Icmp:'));
    const names = snmp[0]!.split(/\s+/);
    const values = snmp[1]!.split(/\s+/);
    const v4 = (name: string) => Number(values[names.indexOf(name)]);
    const snmp6 = await ns.run(['cat', '/proc/net/snmp6']);
    const v6 = (name: string) => Number(new RegExp(`^${name}\\s+(\\d+)`, 'm').exec(snmp6)?.[1] ?? NaN);
    return { inDestUnreachs: v4('InDestUnreachs'), in6DestUnreachs: v6('Icmp6InDestUnreachs'), outDestUnreachs: v4('OutDestUnreachs'), out6PktTooBigs: v6('Icmp6OutPktTooBigs') };
  }

  it.each([
    ['IPv4', SERVER, PATH_MTU - 40 - 12, 'IcmpInDestUnreachs', 'outDestUnreachs'],
    ['IPv6', SERVER6, PATH_MTU - 60 - 12, 'Icmp6InPktTooBigs', 'out6PktTooBigs'],
  ] as const)(`%s: the kernel router says the path takes ${PATH_MTU}-byte packets; tcplab drops its MSS, resends, and 4 MB arrive byte-exact`, async (_family, host, mss, ourCounter, kernelCounter) => {
    const before = { ours: counter(ourCounter), kernel: (await kernelIcmp(getNs()))[kernelCounter] };
    const { socket, accepted } = await connectToServer(host);
    const connection = socket.endpoint!.connection;
    expect(connection.sendMss).toBe(host === SERVER ? 1460 - 12 : 1440 - 12); // B offered its link's MSS
    const bytes = 4_000_000;
    const receiving = peer.recvAll(accepted, { bytes });
    await writePattern(socket, bytes);
    expect(await receiving).toEqual({ received: bytes, sha256: patternSha256(bytes) });
    expect(connection.sendMss).toBe(mss);
    expect(connection.pathMtu).toBe(PATH_MTU);
    expect(net.stack.pmtu.learned(parseIpAddress(host)!, net.now())).toBe(PATH_MTU);
    const kernelSent = (await kernelIcmp(getNs()))[kernelCounter] - before.kernel;
    expect(kernelSent).toBeGreaterThan(0);
    expect(counter(ourCounter) - before.ours).toBe(kernelSent);
    socket.destroy();
    await peer.close(accepted);
  });

  it('spoofed port unreachable and fragmentation needed with sequence numbers we never sent change nothing; in window, one is a soft error', async () => {
    const { socket, accepted } = await connectToServer(SERVER);
    const connection = socket.endpoint!.connection;
    let receiving = peer.recvAll(accepted, { bytes: 1_000_000 });
    await writePattern(socket, 1_000_000);
    expect(await receiving).toEqual({ received: 1_000_000, sha256: patternSha256(1_000_000) });
    const mss = connection.sendMss;
    const una = connection.sndUna;
    const spoof = (seq: number, code: number, mtu = 0) =>
      getNs().run(['python3', '-c', SPOOF, TCPLAB, SERVER, String(socket.localPort), String(socket.remotePort), String(seq >>> 0), String(code), String(mtu)]);
    const oow = counter('TcpExtOutOfWindowIcmps');
    for (const seq of [una + 0x4000_0000, una - 0x10_0000]) {
      await spoof(seq, 3); // port unreachable
      await spoof(seq, 4, 576); // fragmentation needed, next-hop MTU 576
    }
    await until('4 spoofed errors counted', () => counter('TcpExtOutOfWindowIcmps') - oow === 4);
    expect(connection.stateName).toBe('ESTABLISHED');
    expect(connection.sendMss).toBe(mss);
    expect(connection.softError).toBeUndefined();
    expect(net.stack.pmtu.learned(parseIpAddress(SERVER)!, net.now())).toBe(PATH_MTU);
    // The same message quoting SND.UNA passes the check: Linux keeps the connection and only
    // remembers the error (sk_err_soft), which the next ACK of new data clears.
    await spoof(una, 3);
    await until('the in-window error', () => connection.softError === 'ECONNREFUSED');
    expect(connection.stateName).toBe('ESTABLISHED');
    receiving = peer.recvAll(accepted, { bytes: 1_000_000 });
    await writePattern(socket, 1_000_000);
    expect(await receiving).toEqual({ received: 1_000_000, sha256: patternSha256(1_000_000) });
    await until('the soft error cleared by an ACK', () => connection.softError === undefined);
    socket.destroy();
    await peer.close(accepted);
  });

  it.each([
    ['IPv4', '10.97.0.1', 'EHOSTUNREACH'],
    ['IPv6', 'fd00:97::1', 'ENETUNREACH'],
  ] as const)('%s: connect() toward an unreachable route fails at once with %s, as on Linux', async (_family, host, code) => {
    const socket = net.connect({ host, port: 80 });
    const [error] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
    expect(error).toMatchObject({ code, syscall: 'connect' });
    expect(error.message).toMatch(new RegExp(`^connect ${code} `));
  });

  it.each([
    ['IPv4', 1000, TCPLAB, 'IcmpOutDestUnreachs', 'inDestUnreachs'],
    ['IPv6', 100, TCPLAB6, 'Icmp6OutDestUnreachs', 'in6DestUnreachs'],
  ] as const)('%s: a kernel UDP client hammering a closed port gets 6 port unreachables, then one per %s ms', async (_family, interval, target, ourCounter, kernelCounter) => {
    const ns = getNs();
    const before = { sent: counter(ourCounter), noPorts: counter('UdpNoPorts'), host: counter('IcmpOutRateLimitHost') + counter('Icmp6OutRateLimitHost'), global: counter('IcmpOutRateLimitGlobal'), kernel: (await kernelIcmp(ns))[kernelCounter] };
    const started = Date.now();
    await ns.run(['python3', '-c', HAMMER, target]);
    await until('300 datagrams at tcplab', () => counter('UdpNoPorts') - before.noPorts === 300);
    const elapsed = Date.now() - started;
    const sent = counter(ourCounter) - before.sent;
    const limited = counter('IcmpOutRateLimitHost') + counter('Icmp6OutRateLimitHost') - before.host + counter('IcmpOutRateLimitGlobal') - before.global;
    expect(sent + limited).toBe(300);
    expect(sent).toBeGreaterThanOrEqual(6);
    expect(sent).toBeLessThanOrEqual(6 + Math.floor(elapsed / interval));
    let received = 0;
    for (let i = 0; i < 200 && received < sent; i++) {
      received = (await kernelIcmp(ns))[kernelCounter] - before.kernel;
      if (received < sent) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(received).toBe(sent);
  });
});
