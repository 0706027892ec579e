// Offloads over a real TUN device (IFF_VNET_HDR, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6): the
// kernel's SYNs arrive with partial checksums (NEEDS_CSUM) and are accepted; 100 MB go each way
// byte-exact; the kernel's coalesced super-packets are taken whole and tcplab sends super-segments
// of its own; a capture shows them as the big packets that crossed the device.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KernelPeer } from '../../src/lab/kernel-peer.js';
import { patternSha256 } from '../../src/lab/pattern.js';
import { CaptureLink } from '../../src/link/capture-link.js';
import type { Link, PacketBatch } from '../../src/link/link.js';
import { readPcap } from '../../src/link/pcap-reader.js';
import { TunLink } from '../../src/link/tun-link.js';
import { createStack, type NetStack } from '../../src/net/net-stack.js';
import { IPPROTO_TCP } from '../../src/wire/ip-protocol.js';
import { parsePacket } from '../../src/wire/packet.js';
import { TCP_ACK, TCP_SYN, verifyTcpChecksum } from '../../src/wire/tcp.js';
import { describeTun } from './harness.js';
import { acceptKernelClient, patternFromKernel, patternToKernel, until, type Driving } from './transfer.js';

const KERNEL = '10.94.0.1';
const TCPLAB = '10.94.0.2';
const KERNEL6 = 'fd00:94::1';
const TCPLAB6 = 'fd00:94::2';

/** What crossed the link, by direction: sizes, and how the kernel's SYNs came in. */
interface Seen {
  largestIn: number;
  largestOut: number;
  syns: { trusted: boolean; checksumComplete: boolean }[];
}

/** Watches a link without changing anything (the batch handed on is the link's own). */
function watch(inner: Link, seen: Seen): Link {
  return {
    get mtu() {
      return inner.mtu;
    },
    get offload() {
      return inner.offload;
    },
    send(packets) {
      for (const p of packets) seen.largestOut = Math.max(seen.largestOut, p.length);
      inner.send(packets);
    },
    onReceive(handler) {
      inner.onReceive((batch: PacketBatch) => {
        for (let i = 0; i < batch.count; i++) {
          const p = batch.packet(i);
          seen.largestIn = Math.max(seen.largestIn, p.length);
          const parsed = parsePacket(p, false);
          if (parsed.ok && parsed.l4.protocol === IPPROTO_TCP && (parsed.l4.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
            seen.syns.push({ trusted: batch.checksumTrusted?.(i) ?? false, checksumComplete: verifyTcpChecksum(parsed.ip.payload, parsed.ip.src, parsed.ip.dst) });
          }
        }
        handler(batch);
      });
    },
    close: () => inner.close(),
  };
}

describeTun('TUN offloads: virtio-net headers, partial checksums, super-segments', (getNs) => {
  let tun: TunLink;
  let capture: CaptureLink;
  let net: NetStack;
  let peer: KernelPeer;
  let dir: string;
  const seen: Seen = { largestIn: 0, largestOut: 0, syns: [] };

  beforeAll(async () => {
    tun = TunLink.open({ netns: getNs().name, addresses: [`${KERNEL}/24`, `${KERNEL6}/64`], offload: true });
    dir = mkdtempSync(join(tmpdir(), 'tcplab-offload-'));
    // Headers only: the capture shows every packet's real length without storing 200 MB.
    capture = new CaptureLink(tun, join(dir, 'offload.pcap'), { snapLength: 96 });
    net = createStack({ link: watch(capture, seen), addresses: [TCPLAB, TCPLAB6] });
    peer = await KernelPeer.start(getNs());
  });
  afterAll(async () => {
    await peer?.stop();
    net?.close();
    capture?.writer.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const driving: Driving = { now: () => net.now(), after: (ep) => net.afterUserCall(ep) };

  it('opens with checksum and TSO offloads (the write probe passed)', () => {
    expect(tun.offloadFallback).toBeUndefined();
    expect(tun.offload).toEqual({ checksum: true, gsoMaxSize: 65536 });
    expect(tun.device.vnetHdrSize).toBe(12);
  });

  it('falls back cleanly: a device that is not up cannot be probed, so it runs without offloads', () => {
    const down = TunLink.open({ netns: getNs().name, name: 'tcplabdown%d', up: false, offload: true });
    try {
      expect(down.offload).toBeUndefined();
      expect(down.offloadFallback).toMatch(/probed on a device that is up/);
      // It still speaks virtio-net headers (the device was opened with them): sends carry one.
      expect(down.device.vnetHdrSize).toBe(12);
    } finally {
      down.close();
    }
  });

  it('kernel → tcplab: its SYN comes with a partial checksum and is accepted; 100 MB byte-exact in super-packets', async () => {
    const { listener, client, server } = await acceptKernelClient(net.stack, peer, TCPLAB, { port: 6001 }, 20_000);
    // The SYN's checksum field held only the pseudo-header sum (NEEDS_CSUM): verifying it as a
    // finished checksum fails, and the stack took it all the same.
    expect(seen.syns.length).toBeGreaterThan(0);
    expect(seen.syns[0]).toEqual({ trusted: true, checksumComplete: false });
    const bytes = 100_000_000;
    const { got, sent } = await patternFromKernel(peer, client, server, bytes, driving, 60_000);
    expect(got).toEqual({ bytes, sha256: sent });
    expect(seen.largestIn).toBeGreaterThan(1500);
    await peer.close(client);
    server.connection.close(net.now());
    net.afterUserCall(server);
    net.stack.tcp.unlisten(listener, net.now());
  });

  it('tcplab → kernel: 100 MB byte-exact, sent as super-segments (TSO)', async () => {
    const listener = await peer.listen(6002, { host: KERNEL });
    const ep = net.stack.connect({ host: KERNEL, port: 6002 }, net.now());
    net.flush();
    const accepted = await peer.accept(listener);
    await until('ESTABLISHED', () => ep.connection.stateName === 'ESTABLISHED');
    const bytes = 100_000_000;
    expect(await patternToKernel(peer, accepted, ep, bytes, driving, 'shutdown')).toEqual({ received: bytes, sha256: patternSha256(bytes) });
    expect(seen.largestOut).toBeGreaterThan(1500);
    expect(seen.largestOut).toBeLessThanOrEqual(65535);
    expect(tun.device.stats().txErrors).toBe(0);
    await peer.close(accepted);
    await until('TIME-WAIT', () => ep.connection.stateName === 'TIME-WAIT');
  });

  it('IPv6: 20 MB each way on one connection, byte-exact', async () => {
    const before = seen.syns.length;
    const { listener, client, server } = await acceptKernelClient(net.stack, peer, TCPLAB6, { port: 6003, address: TCPLAB6 }, 20_000);
    expect(seen.syns.slice(before)[0]).toEqual({ trusted: true, checksumComplete: false });
    const bytes = 20_000_000;
    const { got, sent } = await patternFromKernel(peer, client, server, bytes, driving);
    expect(got).toEqual({ bytes, sha256: sent });
    expect(await patternToKernel(peer, client, server, bytes, driving, 'close')).toEqual({ received: bytes, sha256: patternSha256(bytes) });
    await peer.close(client);
    net.stack.tcp.unlisten(listener, net.now());
  });

  it('the capture shows the super-segments as the big packets that crossed the device', () => {
    capture.flush();
    const pcap = readPcap(readFileSync(join(dir, 'offload.pcap')));
    const big = pcap.records.filter((r) => r.originalLength > 1500);
    expect(big.length).toBeGreaterThan(0);
    expect(Math.max(...pcap.records.map((r) => r.originalLength))).toBe(Math.max(seen.largestIn, seen.largestOut));
  });
});
