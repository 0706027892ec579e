// The addon's writer thread (TunDevice.startWriter, native/tx_writer.h) against the real kernel,
// inside this file's private namespace: packets keep their order, a full ring holds the caller
// back instead of losing packets, close() writes what is still queued, failures are counted;
// a process confined to one CPU writes on its own thread;
// and a stack over a TunLink with `writerThread` moves data both ways byte-exact, with and
// without offloads.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KernelPeer } from '../../src/lab/kernel-peer.js';
import { patternSha256 } from '../../src/lab/pattern.js';
import { TunDevice } from '../../src/link/tun-device.js';
import { TunLink } from '../../src/link/tun-link.js';
import { createStack, type NetStack } from '../../src/net/net-stack.js';
import { IPPROTO_UDP } from '../../src/wire/ip-protocol.js';
import { buildIpv4Packet, parseIpv4 } from '../../src/wire/ipv4.js';
import { describeTun } from './harness.js';
import { acceptKernelClient, patternFromKernel, patternToKernel, until, type Driving } from './transfer.js';

const OURS = '10.215.0.1';
const PEER = '10.215.0.2';
const ip4 = (text: string): number => text.split('.').reduce((n, b) => n * 256 + Number(b), 0);

/** An IPv4/UDP datagram to the blackhole port 9 of `to` (the kernel takes it, answers nothing
 *  we wait for), carrying `n` in its first 4 bytes and padded to `size`. UDP checksum 0: none. */
function numbered(n: number, size: number, to = OURS, from = PEER): Uint8Array {
  const udp = new Uint8Array(size - 20);
  const v = new DataView(udp.buffer);
  v.setUint16(0, 40000);
  v.setUint16(2, 9);
  v.setUint16(4, udp.length);
  v.setUint32(8, n);
  return buildIpv4Packet({ src: ip4(from), dst: ip4(to), protocol: IPPROTO_UDP, ttl: 64 }, udp);
}

describeTun('TunDevice writer thread', (getNs) => {
  let tun: TunDevice;
  let peer: KernelPeer;
  let net: NetStack | undefined;

  beforeAll(async () => {
    tun = TunDevice.open({ netns: getNs().name, name: 'tcplabw%d', addresses: [`${OURS}/24`] });
    peer = await KernelPeer.start(getNs());
  });
  afterAll(async () => {
    await peer?.stop();
    net?.close();
    tun?.close();
  });

  it('keeps the order of the packets it writes', async () => {
    // A second device, looped back: what the thread writes into device A's kernel side is
    // routed out of device B, where we read it in the order the kernel received it.
    const b = TunDevice.open({ netns: getNs().name, name: 'tcplabv%d', addresses: ['10.216.0.1/24'] });
    const a = TunDevice.open({ netns: getNs().name, name: 'tcplabu%d', addresses: ['10.217.0.1/24'] });
    try {
      await getNs().run(['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      const seen: number[] = [];
      b.onBatch((batch) => {
        for (let i = 0; i < batch.count; i++) {
          const p = parseIpv4(batch.packet(i));
          if (p.ok && p.protocol === IPPROTO_UDP) seen.push(new DataView(p.payload.buffer, p.payload.byteOffset).getUint32(8));
        }
      });
      a.startWriter();
      const packets = Array.from({ length: 2000 }, (_, n) => numbered(n, 200, '10.216.0.9', '10.217.0.2'));
      for (let i = 0; i < packets.length; i += 100) expect(a.write(packets.slice(i, i + 100))).toBe(100);
      await until('2000 forwarded packets', () => seen.length >= 2000);
      expect(seen).toEqual(packets.map((_, n) => n));
      expect(a.stats()).toMatchObject({ txWriter: true, txPackets: 2000, txErrors: 0 });
    } finally {
      a.close();
      b.close();
    }
  });

  it('a full ring makes the caller wait, losing nothing; close() writes what is still queued', () => {
    tun.startWriter();
    tun.startWriter(); // a second call does nothing
    const before = tun.stats();
    // 12 MB in one call against a 4 MiB ring: the caller must wait for room several times.
    const packets = Array.from({ length: 8000 }, (_, n) => numbered(n, 1500));
    expect(tun.write(packets)).toBe(8000);
    tun.close(); // returns once the thread has written every packet
    const after = tun.stats();
    expect(after.txPackets - before.txPackets).toBe(8000);
    expect(after.txBytes - before.txBytes).toBe(8000 * 1500);
    expect(after.txRingWaits).toBeGreaterThan(0);
    expect(after.txErrors).toBe(0);
    expect(after.txWriter).toBe(false); // the thread ended with the device
  });

  it('counts a packet the kernel refuses (the thread has nobody to throw to)', async () => {
    const d = TunDevice.open({ netns: getNs().name, name: 'tcplabx%d', addresses: ['10.218.0.1/24'] });
    try {
      d.startWriter(20);
      expect(d.write([new Uint8Array(20)])).toBe(1); // version nibble 0: not IPv4 or IPv6
      await until('the refusal counted', () => d.stats().txErrors === 1);
      expect(d.stats().lastTxError).toBe('EINVAL');
      expect(() => d.startWriter(5000)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }) as Error);
    } finally {
      d.close();
    }
    expect(() => d.startWriter()).toThrow(expect.objectContaining({ code: 'ERR_TUN_CLOSED' }) as Error);
  });

  it('writes on the caller\'s thread while the process is confined to one CPU, through the thread again after', async () => {
    const d = TunDevice.open({ netns: getNs().name, name: 'tcplabx%d', addresses: ['10.218.0.1/24'] });
    const mask = /affinity mask:\s*([0-9a-f]+)/.exec(execFileSync('taskset', ['-p', String(process.pid)], { encoding: 'utf8' }))?.[1];
    expect(mask).toBeDefined();
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
    // 40 packets, one at a time with the writer idle in between: each would wake a thread.
    const spaced = async (): Promise<{ written: number; wakeups: number }> => {
      const before = d.stats();
      for (let n = 0; n < 40; n++) {
        expect(d.write([numbered(n, 100, '10.218.0.1', '10.218.0.2')])).toBe(1);
        await sleep(2);
      }
      await until('40 packets written', () => d.stats().txPackets - before.txPackets === 40);
      const after = d.stats();
      return { written: after.txPackets - before.txPackets, wakeups: after.txWriterWakeups - before.txWriterWakeups };
    };
    try {
      d.startWriter();
      execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
      await sleep(250); // the thread re-reads its affinity at least every 100 ms
      expect(await spaced()).toEqual({ written: 40, wakeups: 0 });
      execFileSync('taskset', ['-a', '-p', mask as string, String(process.pid)], { stdio: 'ignore' });
      await sleep(250);
      const threaded = await spaced();
      expect(threaded.written).toBe(40);
      // Back on every CPU (if this machine has more than one): the thread writes again.
      if (cpus().length > 1) expect(threaded.wakeups).toBeGreaterThanOrEqual(20);
      expect(d.stats()).toMatchObject({ txWriter: true, txErrors: 0, txEagain: 0 });
    } finally {
      execFileSync('taskset', ['-a', '-p', mask as string, String(process.pid)], { stdio: 'ignore' });
      d.close();
    }
  });

  it("writerThread 'auto' (the default): a thread without offloads, none with them; a bad value is refused", () => {
    const plain = TunLink.open({ netns: getNs().name, name: 'tcplaba%d', addresses: ['10.221.0.1/24'], offload: false });
    const offloaded = TunLink.open({ netns: getNs().name, name: 'tcplabb%d', addresses: ['10.222.0.1/24'] });
    try {
      expect(plain.device.stats().txWriter).toBe(true);
      expect(offloaded.offload).toBeDefined();
      expect(offloaded.device.stats().txWriter).toBe(false);
    } finally {
      plain.close();
      offloaded.close();
    }
    expect(() => TunLink.open({ netns: getNs().name, writerThread: 'yes' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }) as Error);
  });

  for (const offload of [false, true]) {
    it(`a stack over a TunLink with writerThread, offloads ${offload ? 'on' : 'off'}: 20 MB each way byte-exact`, async () => {
      const kernel = offload ? '10.219.0.1' : '10.220.0.1';
      const ours = offload ? '10.219.0.2' : '10.220.0.2';
      const link = TunLink.open({ netns: getNs().name, name: 'tcplabl%d', addresses: [`${kernel}/24`], offload, writerThread: true });
      net = createStack({ link, addresses: [ours] });
      const stack = net;
      const driving: Driving = { now: () => stack.now(), after: (ep) => stack.afterUserCall(ep) };
      const bytes = 20_000_000;

      const { client, server } = await acceptKernelClient(stack.stack, peer, ours, { port: 6101 });
      const { got, sent } = await patternFromKernel(peer, client, server, bytes, driving, 60_000);
      expect(got).toEqual({ bytes, sha256: sent });

      expect(await patternToKernel(peer, client, server, bytes, driving, 'close')).toEqual({ received: bytes, sha256: patternSha256(bytes) });
      expect(link.device.stats()).toMatchObject({ txWriter: true, txErrors: 0, txEagain: 0 });
      await peer.close(client);
      stack.close();
      net = undefined;
    });
  }
});
