// TunDevice against the real kernel, always inside this file's private namespace: the
// device, its addresses and every packet stay there. (Opening without `netns` works too,
// but would create the device in the host namespace: never done here.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PacketBatch, TunDevice, tunAvailable } from '../../src/link/tun-device.js';
import { describeTun, type Namespace } from './harness.js';

const OURS4 = '10.213.0.1';
const PEER4 = '10.213.0.2';
const OURS6 = 'fd00:213::1';
const PEER6 = 'fd00:213::2';

// ---- packets built by hand (src/wire is not a dependency of this test) ----

function onesComplementSum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
  if (bytes.length % 2 === 1) sum += (bytes[bytes.length - 1] as number) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function ip4(text: string): Uint8Array {
  return Uint8Array.from(text.split('.').map(Number));
}

/** An IPv4/UDP packet with correct IP and UDP checksums. */
function udp4(src: string, dst: string, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const udpLength = 8 + payload.length;
  const p = new Uint8Array(20 + udpLength);
  const v = new DataView(p.buffer);
  p[0] = 0x45; // version 4, IHL 5
  v.setUint16(2, p.length);
  v.setUint16(4, 0x1234); // identification
  v.setUint16(6, 0x4000); // DF
  p[8] = 64; // TTL
  p[9] = 17; // UDP
  p.set(ip4(src), 12);
  p.set(ip4(dst), 16);
  v.setUint16(10, ~onesComplementSum(p.subarray(0, 20)) & 0xffff);
  v.setUint16(20, sport);
  v.setUint16(22, dport);
  v.setUint16(24, udpLength);
  p.set(payload, 28);
  const pseudo = new Uint8Array(12);
  pseudo.set(p.subarray(12, 20), 0);
  pseudo[9] = 17;
  new DataView(pseudo.buffer).setUint16(10, udpLength);
  const sum = ~onesComplementSum(p.subarray(20), onesComplementSum(pseudo)) & 0xffff;
  v.setUint16(26, sum === 0 ? 0xffff : sum);
  return p;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const dotted = (b: Uint8Array): string => Array.from(b).join('.');

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// ---- the kernel side, in the namespace ----

interface Received {
  data: string;
  from: string;
  port: number;
}

const LISTENER = `
import json, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(5)
print('ready', flush=True)
for _ in range(int(sys.argv[3])):
    data, addr = s.recvfrom(65535)
    print(json.dumps({'data': data.decode(), 'from': addr[0], 'port': addr[1]}), flush=True)
`;

/** Starts a UDP listener in the namespace; once it is bound, `done` gives the first `count` datagrams. */
async function listenUdp(ns: Namespace, port: number, count: number): Promise<{ done: Promise<Received[]> }> {
  const child = ns.spawn(['python3', '-c', LISTENER, OURS4, String(port), String(count)]);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  await Promise.race([
    waitFor('the UDP listener', () => (out.startsWith('ready\n') ? true : undefined)),
    exited.then((code) => Promise.reject(new Error(`listener exited ${code}: ${err}`))),
  ]);
  const done = exited.then((code) => {
    if (code !== 0) throw new Error(`listener exited ${code}: ${err}`);
    return out
      .split('\n')
      .slice(1)
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as Received);
  });
  return { done }; // not the promise itself: an async function would wait for it
}

function sendUdp(ns: Namespace, family: 4 | 6, dst: string, port: number, payload: string): Promise<string> {
  const script = `import socket, sys
s = socket.socket(socket.AF_INET6 if sys.argv[1] == '6' else socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(sys.argv[4].encode(), (sys.argv[2], int(sys.argv[3])))`;
  return ns.run(['python3', '-c', script, String(family), dst, String(port), payload]);
}

interface IpAddrInfo {
  family: string;
  local: string;
  prefixlen: number;
}
interface IpLink {
  ifname: string;
  mtu: number;
  flags: string[];
  txqlen: number;
  addr_info: IpAddrInfo[];
}

async function ipLinks(ns: Namespace): Promise<IpLink[]> {
  return JSON.parse(await ns.run(['ip', '-j', 'addr', 'show'])) as IpLink[];
}

function expectCode(fn: () => unknown, type: typeof Error, code: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(type);
  expect((thrown as { code?: string }).code).toBe(code);
}

describeTun('TunDevice', (getNs) => {
  let tun: TunDevice;
  const received: Uint8Array[] = [];

  beforeAll(() => {
    tun = TunDevice.open({ netns: getNs().name, addresses: [`${OURS4}/24`, `${OURS6}/64`] });
    tun.onBatch((batch: PacketBatch) => {
      for (let i = 0; i < batch.count; i++) received.push(batch.packet(i).slice()); // copy: the batch is reused
    });
  });

  afterAll(() => {
    tun?.close();
  });

  it('reports availability', () => {
    expect(tunAvailable()).toEqual({ ok: true });
  });

  it('is configured as asked: name, MTU, addresses, UP, qlen 5000', async () => {
    expect(tun.name).toMatch(/^tcplab\d+$/);
    expect(tun.mtu).toBe(1500);
    expect(tun.netns).toBe(getNs().name);
    const [link] = JSON.parse(await getNs().run(['ip', '-j', 'addr', 'show', 'dev', tun.name])) as IpLink[];
    expect(link?.ifname).toBe(tun.name);
    expect(link?.mtu).toBe(1500);
    expect(link?.txqlen).toBe(5000);
    expect(link?.flags).toContain('UP');
    const addrs = link?.addr_info.map((a) => `${a.family} ${a.local}/${a.prefixlen}`);
    expect(addrs).toContain(`inet ${OURS4}/24`);
    expect(addrs).toContain(`inet6 ${OURS6}/64`);
  });

  it('delivers kernel → JS: UDP sent in the namespace arrives in a batch', async () => {
    await sendUdp(getNs(), 4, PEER4, 9999, 'hello tcplab');
    const packet = await waitFor('the IPv4 UDP packet', () =>
      received.find((p) => p[0] >> 4 === 4 && p[9] === 17 && dotted(p.subarray(16, 20)) === PEER4),
    );
    expect(packet[0] >> 4).toBe(4);
    const ihl = ((packet[0] as number) & 0x0f) * 4;
    const v = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
    expect(v.getUint16(2)).toBe(packet.length);
    expect(dotted(packet.subarray(12, 16))).toBe(OURS4);
    expect(v.getUint16(ihl + 2)).toBe(9999);
    expect(new TextDecoder().decode(packet.subarray(ihl + 8))).toBe('hello tcplab');
    const s = tun.stats();
    expect(s.rxPackets).toBeGreaterThanOrEqual(1);
    expect(s.rxBatches).toBeGreaterThanOrEqual(1);
    expect(s.rxBytes).toBeGreaterThanOrEqual(packet.length);
    expect(s.rxErrors).toBe(0);
  });

  it('delivers IPv6 too', async () => {
    await sendUdp(getNs(), 6, PEER6, 9998, 'hello v6');
    const packet = await waitFor('the IPv6 UDP packet', () => received.find((p) => p[0] >> 4 === 6 && p[6] === 17));
    const v = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
    expect(v.getUint16(40 + 2)).toBe(9998);
    expect(new TextDecoder().decode(packet.subarray(48))).toBe('hello v6');
  });

  it('pause() holds packets in the kernel; resume() delivers them', async () => {
    tun.pause();
    try {
      await sendUdp(getNs(), 4, PEER4, 9997, 'while paused');
      await new Promise((r) => setTimeout(r, 200));
      expect(received.some((p) => new TextDecoder().decode(p.subarray(28)) === 'while paused')).toBe(false);
    } finally {
      tun.resume();
    }
    await waitFor('the packet sent while paused', () => received.find((p) => new TextDecoder().decode(p.subarray(28)) === 'while paused'));
  });

  it('delivers JS → kernel: a hand-built IPv4/UDP packet reaches a socket', async () => {
    const { done } = await listenUdp(getNs(), 7777, 1);
    expect(tun.write([udp4(PEER4, OURS4, 5555, 7777, text('hi kernel'))])).toBe(1);
    expect(await done).toEqual([{ data: 'hi kernel', from: PEER4, port: 5555 }]);
  });

  it('writes a batch from one arena', async () => {
    const { done } = await listenUdp(getNs(), 7778, 5);
    const packets = [0, 1, 2, 3, 4].map((i) => udp4(PEER4, OURS4, 6000 + i, 7778, text(`packet ${i}`)));
    const arena = new Uint8Array(4096);
    const offsets = new Uint32Array(packets.length);
    const lengths = new Uint32Array(packets.length);
    let at = 100; // not at 0, to prove offsets are honoured
    packets.forEach((p, i) => {
      arena.set(p, at);
      offsets[i] = at;
      lengths[i] = p.length;
      at += p.length + 7;
    });
    const before = tun.stats();
    expect(tun.writeBatch(arena, offsets, lengths, packets.length)).toBe(5);
    const got = await done;
    expect(got.map((r) => r.data).sort()).toEqual(['packet 0', 'packet 1', 'packet 2', 'packet 3', 'packet 4']);
    expect(got.map((r) => r.port).sort()).toEqual([6000, 6001, 6002, 6003, 6004]);
    const after = tun.stats();
    expect(after.txPackets - before.txPackets).toBe(5);
    expect(after.txBytes - before.txBytes).toBe(packets.reduce((n, p) => n + p.length, 0));
  });

  it('counts a packet the kernel refuses instead of throwing', () => {
    const before = tun.stats();
    const garbage = new Uint8Array(20); // version nibble 0: not IPv4 or IPv6
    expect(tun.write([garbage])).toBe(1);
    const after = tun.stats();
    expect(after.txErrors - before.txErrors).toBe(1);
    expect(after.lastTxError).toBe('EINVAL');
  });

  it('rejects a writeBatch that points outside its buffer, before writing anything', () => {
    const before = tun.stats();
    const p = udp4(PEER4, OURS4, 1, 7, text('x'));
    expectCode(
      () => tun.writeBatch(p, Uint32Array.of(0, 10), Uint32Array.of(p.length, p.length), 2),
      RangeError,
      'ERR_OUT_OF_RANGE',
    );
    expect(tun.stats().txPackets).toBe(before.txPackets);
  });

  it('other settings, two IPv4 addresses; close() is idempotent, removes the device, later use fails with ERR_TUN_CLOSED', async () => {
    const ns = getNs();
    const dev = TunDevice.open({ netns: ns.name, name: 'tlclose0', mtu: 1400, txQueueLen: 100, addresses: ['10.214.0.1/24', '10.215.0.1/16'] });
    try {
      expect(dev.name).toBe('tlclose0');
      const link = (await ipLinks(ns)).find((l) => l.ifname === 'tlclose0');
      expect(link?.mtu).toBe(1400);
      expect(link?.txqlen).toBe(100);
      expect(link?.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`)).toEqual(['10.214.0.1/24', '10.215.0.1/16']);
      expect(dev.closed).toBe(false);
    } finally {
      dev.close();
    }
    dev.close();
    expect(dev.closed).toBe(true);
    expect(dev.fd).toBe(-1);
    expect((await ipLinks(ns)).map((l) => l.ifname)).not.toContain('tlclose0');
    expectCode(() => dev.write([new Uint8Array(20)]), Error, 'ERR_TUN_CLOSED');
    expectCode(() => dev.writeBatch(new Uint8Array(20), Uint32Array.of(0), Uint32Array.of(20)), Error, 'ERR_TUN_CLOSED');
    expectCode(() => dev.onBatch(() => undefined), Error, 'ERR_TUN_CLOSED');
    expectCode(() => dev.resume(), Error, 'ERR_TUN_CLOSED');
    dev.pause(); // harmless
    expect(dev.stats().txPackets).toBe(0);
  });

  it('a device deleted under a reader closes it and reports the error to onError', async () => {
    const ns = getNs();
    const dev = TunDevice.open({ netns: ns.name, name: 'tldel0' });
    try {
      const failed = new Promise<Error & { code?: string }>((resolve) => dev.onBatch(() => undefined, resolve));
      await ns.run(['ip', 'link', 'del', 'tldel0']);
      const err = await failed;
      expect(err.code).toMatch(/^EBADFD?$/);
      expect(err.message).toContain('went away');
      expect(dev.closed).toBe(true);
      expect(dev.stats().rxErrors).toBe(1);
    } finally {
      dev.close();
    }
  });

  it('a name already in use gives EBUSY with advice', () => {
    let thrown: unknown;
    try {
      TunDevice.open({ netns: getNs().name, name: tun.name }).close();
    } catch (err) {
      thrown = err;
    }
    expect((thrown as { code?: string }).code).toBe('EBUSY');
    expect((thrown as Error).message).toContain('already exists');
  });

  describe('validation, before any system call', () => {
    // A namespace that does not exist: reaching a system call would give ENOENT instead.
    const netns = '/nonexistent/tcplab-netns';

    it('rejects bad names', () => {
      for (const name of ['', 'a/b', 'has space', 'tab\tname', 'x'.repeat(16), 'a:b', '..', 'two%d%d', '50%']) {
        expectCode(() => TunDevice.open({ netns, name }), TypeError, 'ERR_INVALID_ARG_VALUE');
      }
      expectCode(() => TunDevice.open({ netns, name: 5 as unknown as string }), TypeError, 'ERR_INVALID_ARG_TYPE');
    });

    it('rejects bad MTUs', () => {
      for (const mtu of [67, 65536, 0, -1, 1500.5, Number.NaN]) {
        expectCode(() => TunDevice.open({ netns, mtu }), RangeError, 'ERR_OUT_OF_RANGE');
      }
      expectCode(() => TunDevice.open({ netns, mtu: '1500' as unknown as number }), TypeError, 'ERR_INVALID_ARG_TYPE');
      expectCode(() => TunDevice.open({ netns, mtu: 1000, addresses: ['fd00::1/64'] }), RangeError, 'ERR_OUT_OF_RANGE');
    });

    it('rejects bad addresses', () => {
      for (const a of ['not-an-ip/24', '10.0.0.1', '10.0.0.1/33', '10.0.0.1/', '10.0.0.256/24', 'fd00::1/129', 'fe80::1%eth0/64', '10.0.0.1/24/1']) {
        expectCode(() => TunDevice.open({ netns, addresses: [a] }), TypeError, 'ERR_INVALID_ARG_VALUE');
      }
      expectCode(() => TunDevice.open({ netns, addresses: '10.0.0.1/24' as unknown as string[] }), TypeError, 'ERR_INVALID_ARG_TYPE');
    });

    it('rejects other bad options', () => {
      expectCode(() => TunDevice.open({ netns, txQueueLen: 0 }), RangeError, 'ERR_OUT_OF_RANGE');
      expectCode(() => TunDevice.open({ netns, batchPackets: 0 }), RangeError, 'ERR_OUT_OF_RANGE');
      expectCode(() => TunDevice.open({ netns, up: 1 as unknown as boolean }), TypeError, 'ERR_INVALID_ARG_TYPE');
      expectCode(() => TunDevice.open({ netns: 'a/b' }), TypeError, 'ERR_INVALID_ARG_VALUE');
      expectCode(() => TunDevice.open({ netns, vnetHdr: 'yes' as unknown as boolean }), TypeError, 'ERR_INVALID_ARG_TYPE');
      expectCode(() => TunDevice.open(null as unknown as object), TypeError, 'ERR_INVALID_ARG_TYPE');
    });
  });

  it('a namespace that does not exist gives ENOENT naming it', () => {
    for (const [netns, path] of [
      ['tcplab-t-no-such-namespace', '/var/run/netns/tcplab-t-no-such-namespace'],
      ['/nonexistent/tcplab-netns', '/nonexistent/tcplab-netns'],
    ] as const) {
      let thrown: unknown;
      try {
        TunDevice.open({ netns }).close();
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(Error);
      const e = thrown as Error & { code?: string; path?: string; syscall?: string };
      expect(e.code).toBe('ENOENT');
      expect(e.path).toBe(path);
      expect(e.message).toContain(path);
      expect(e.message).toContain('does not exist');
    }
  });
});
