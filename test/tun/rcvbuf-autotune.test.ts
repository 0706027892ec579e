// Receive-buffer auto-tuning against the kernel over a real TUN device: a kernel client sends a
// few MB to tcplab, which reads as fast as it can. tcplab's buffer starts at tcp_rmem[1]
// (128 KiB) and grows as its application keeps up, and the window it advertises (watched on the
// wire) grows past what 128 KiB could ever offer; the bytes arrive exactly.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KernelPeer } from '../../src/lab/kernel-peer.js';
import { TapLink } from '../../src/link/tap-link.js';
import { TunLink } from '../../src/link/tun-link.js';
import { RealClock } from '../../src/net/clock.js';
import { StackDriver } from '../../src/net/driver.js';
import { Stack } from '../../src/stack/stack.js';
import type { RcvbufEvent } from '../../src/tcp/events.js';
import { IPPROTO_TCP, parsePacket } from '../../src/wire/index.js';
import { describeTun } from './harness.js';
import { acceptKernelClient, patternFromKernel } from './transfer.js';

const KERNEL = '10.94.0.1';
const TCPLAB = '10.94.0.2';
const PORT = 5011;

describeTun('receive-buffer auto-tuning with the kernel as the sender', (getNs) => {
  let link: TunLink;
  let stack: Stack;
  let driver: StackDriver;
  let clock: RealClock;
  let peer: KernelPeer;
  /** The Window field of every segment tcplab sent from PORT, in order. */
  const windows: number[] = [];
  const grown: RcvbufEvent[] = [];

  beforeAll(async () => {
    link = TunLink.open({ netns: getNs().name, addresses: [`${KERNEL}/24`] });
    const tap = new TapLink(link, (packet, direction) => {
      if (direction !== 'out') return;
      // Offloaded segments leave with partial checksums: read the header without checking them.
      const p = parsePacket(packet, false);
      if (p.ok && p.l4.protocol === IPPROTO_TCP && p.l4.srcPort === PORT && (p.l4.flags & 0x02) === 0) windows.push(p.l4.window);
    });
    clock = new RealClock();
    stack = new Stack({
      addresses: [TCPLAB],
      events: (e) => {
        if (e.type === 'rcvbuf') grown.push(e);
      },
    });
    driver = new StackDriver(stack, tap, clock);
    peer = await KernelPeer.start(getNs());
  });
  afterAll(async () => {
    await peer?.stop();
    driver?.close();
    link?.close();
  });

  it('8 MB byte-exact; the buffer grows from 128 KiB and the advertised window past it', async () => {
    const { listener, client, server } = await acceptKernelClient(stack, peer, TCPLAB, { port: PORT });
    const c = server.connection;
    expect(c.rcvbuf).toBe(131072);
    const scale = c.negotiated.wscale![1];
    expect(scale).toBe(7);

    const bytes = 8_000_000;
    const driving = {
      now: () => clock.now(),
      after: () => {
        stack.tcp.afterUserCall(server);
        driver.flush();
      },
    };
    const { got, sent } = await patternFromKernel(peer, client, server, bytes, driving);
    expect(got).toEqual({ bytes, sha256: sent });

    // It grew, each time larger, within tcp_rmem[2]; the window clamp followed.
    expect(grown.length).toBeGreaterThan(0);
    for (let i = 1; i < grown.length; i++) expect(grown[i]!.rcvbuf).toBeGreaterThan(grown[i - 1]!.rcvbuf);
    expect(c.rcvbuf).toBe(grown.at(-1)!.rcvbuf);
    expect(c.rcvbuf).toBeGreaterThan(131072);
    expect(c.rcvbuf).toBeLessThanOrEqual(6_291_456);
    expect(c.rcvWindowClamp).toBe(c.rcvbuf);
    // The receiver measured its RTT (rcv_rtt: the kernel's millisecond timestamps, and the time
    // a window takes to arrive).
    expect(c.rcvSpaceInfo.rcvRtt).toBeGreaterThan(0);
    expect(c.rcvSpaceInfo.rcvSpace).toBeGreaterThan(14480);

    // On the wire: the first windows are those of a 128 KiB buffer, later ones are larger.
    const bytesOf = (field: number): number => field * 2 ** scale;
    expect(bytesOf(windows[0]!)).toBeLessThanOrEqual(131072);
    const largest = Math.max(...windows.map(bytesOf));
    expect(largest).toBeGreaterThan(131072);
    const firstLarge = windows.findIndex((w) => bytesOf(w) > 131072);
    expect(firstLarge).toBeGreaterThan(0);

    await peer.close(client);
    server.connection.close(clock.now());
    stack.tcp.afterUserCall(server);
    driver.flush();
    stack.tcp.unlisten(listener, clock.now());
  });
});
