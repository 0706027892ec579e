// One byte-exact transfer between tcplab and the Linux kernel over a real TUN device, with
// tcplab's FaultLink impairing the packets both ways: the building block of `npm run faults`
// and of test/tun/faults.test.ts.
//
// The stream is the shared ramp pattern (src/lab/pattern.ts), hashed at both ends. The
// figures: goodput (bytes the application received over the wall time from connect to the
// last byte), what the FaultLink did, what each end retransmitted, and for corruption the
// proof that checksums caught every damaged packet: every corrupted packet toward tcplab is
// counted by exactly one of tcplab's drop counters, every one toward the kernel by one of the
// kernel's (or refused by the TUN device itself).
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { KernelPeer } from '../../src/lab/kernel-peer.js';
import type { Netns } from '../../src/lab/netns.js';
import { patternBytes, patternSha256 } from '../../src/lab/pattern.js';
import { FaultLink, type FaultStats, type Impairment } from '../../src/link/fault-link.js';
import { TunLink } from '../../src/link/tun-link.js';
import { createStack, type NetStack } from '../../src/net/net-stack.js';
import { DROP_COUNTERS, ENGINE_DROP_COUNTERS } from '../../src/stack/counters.js';
import type { Socket } from '../../src/net/socket.js';
import type { Connection as TcpConnectionView } from '../../src/tcp/connection.js';
import { counterDelta, KERNEL_DROP_COUNTERS, kernelCounters, type KernelCounters } from './kernel-counters.js';

export type TransferDirection = 'kernel-to-tcplab' | 'tcplab-to-kernel';

export interface ImpairmentCase {
  /** Short name for tables: 'loss 5%'. */
  readonly name: string;
  /** Applied to both directions (data and ACKs). */
  readonly impairment: Impairment;
}

/** The five impairments of issue 8, as netem would be asked for them. */
export const IMPAIRMENTS: readonly ImpairmentCase[] = [
  { name: 'loss 5%', impairment: { loss: 0.05 } },
  { name: 'duplication 5%', impairment: { duplicate: 0.05 } },
  { name: 'reordering 5%', impairment: { reorder: 0.05, reorderHoldMs: 5 } },
  { name: 'corruption 1%', impairment: { corrupt: 0.01 } },
  { name: 'delay 50 ms ± 20 ms', impairment: { delayMs: 50, jitterMs: 20 } },
];

export interface TransferOptions {
  readonly ns: Netns;
  readonly peer: KernelPeer;
  readonly impairment: Impairment;
  readonly direction: TransferDirection;
  readonly bytes: number;
  readonly seed?: number;
  readonly port?: number;
  /** Give up after this long (default 10 minutes). */
  readonly timeoutMs?: number;
  /** Give up when no byte moved for this long, describing where the connection stood
   *  (default 60 s). */
  readonly stallMs?: number;
}

export interface CorruptionAccount {
  /** Corrupted packets the FaultLink delivered toward this end. */
  readonly injected: number;
  /** Of those, packets this end drops without counting them anywhere: Linux's tcp_v4_rcv
   *  discards a segment whose data offset runs past its end (discard_it) with no MIB counter,
   *  only a drop reason. Known from where the bit was flipped; 0 for tcplab, which counts it. */
  readonly uncounted: number;
  /** Packets this end dropped for a bad header, length or checksum, by counter. */
  readonly caught: Record<string, number>;
  readonly caughtTotal: number;
}

export interface TransferResult {
  readonly direction: TransferDirection;
  readonly bytes: number;
  readonly received: number;
  readonly sha256Match: boolean;
  readonly seconds: number;
  /** Application bytes per second received, in megabits (10^6). */
  readonly goodputMbps: number;
  readonly faults: { readonly in: FaultStats; readonly out: FaultStats };
  /** tcplab's counters that moved (TcpRetransSegs, TcpExtTCPTimeouts, drops by reason...). */
  readonly tcplab: Record<string, number>;
  /** The kernel's counters that moved. */
  readonly kernel: KernelCounters;
  /** Toward tcplab ('in') and toward the kernel ('out'). */
  readonly corruption: { readonly toTcplab: CorruptionAccount; readonly toKernel: CorruptionAccount };
}

const KERNEL = '10.79.0.1';
const TCPLAB = '10.79.0.2';
const CHUNK = 256 * 1024;

/** The parse-failure counters of tcplab a damaged packet can land in (one per packet); not
 *  the engines' drops (out of window...), which count packets that parsed. */
function tcplabCaught(delta: Record<string, number>): Record<string, number> {
  const parseFailures = new Set<string>(DROP_COUNTERS.filter((name) => !(ENGINE_DROP_COUNTERS as readonly string[]).includes(name)));
  return Object.fromEntries(Object.entries(delta).filter(([name]) => parseFailures.has(name)));
}

/** A flipped bit that raised an IPv4 TCP segment's data offset past the segment's end: Linux
 *  drops it before any counter (checked against Linux 6.18: TcpInSegs moves, TcpInErrs not). */
function linuxDropsUncounted(packet: Uint8Array, byte: number, bit: number): boolean {
  if (packet.length < 20 || packet[0]! >>> 4 !== 4 || packet[9] !== 6) return false;
  const ihl = (packet[0]! & 0x0f) * 4;
  if (byte !== ihl + 12 || bit < 4) return false;
  const dataOffset = (packet[ihl + 12]! >>> 4) * 4;
  return dataOffset >= 20 && dataOffset > packet.length - ihl;
}

function sum(record: Record<string, number>): number {
  return Object.values(record).reduce((a, b) => a + b, 0);
}

/** Run one transfer; resolves with its figures (it does not judge them: callers do). */
export async function impairedTransfer(o: TransferOptions): Promise<TransferResult> {
  // No IPv6 on the device: the kernel's own IPv6 chatter (router solicitations, MLD) has header
  // fields no checksum covers, so a bit flipped there would make a packet that parses, is not
  // for tcplab, and blurs the count of corrupted packets caught.
  await o.ns.run(['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  // A plain device: the faults act on wire-size packets with real checksums (see FaultLink).
  const tun = TunLink.open({ offload: false, netns: o.ns.name, addresses: [`${KERNEL}/24`] });
  let dataOffsetPastEnd = 0;
  const faults = new FaultLink(tun, {
    seed: o.seed ?? 1,
    in: o.impairment,
    out: o.impairment,
    onCorrupted: (packet, direction, byte, bit) => {
      if (direction === 'out' && linuxDropsUncounted(packet, byte, bit)) dataOffsetPastEnd++;
    },
  });
  let net: NetStack | undefined;
  try {
    net = createStack({ link: faults, addresses: [TCPLAB] });
    const stackBefore = net.stack.counters.snapshot();
    const kernelBefore = await kernelCounters(o.ns);
    const txErrorsBefore = tun.device.stats().txErrors;
    const started = performance.now();
    const port = o.port ?? 5100;
    const timeoutMs = o.timeoutMs ?? 600_000;
    const run = o.direction === 'kernel-to-tcplab' ? toTcplab(net, o, port) : toKernel(net, o, port, timeoutMs);
    const what = `${o.direction} under ${JSON.stringify(o.impairment)}`;
    const { received, sha256Match } = await watched(run, net, { timeoutMs, stallMs: o.stallMs ?? 60_000, what });
    const seconds = (performance.now() - started) / 1000;
    // Let the closing handshakes finish so late segments are counted too.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const tcplab = counterDeltaOf(stackBefore, net.stack.counters.snapshot());
    const kernel = counterDelta(kernelBefore, await kernelCounters(o.ns));
    const caughtByKernel: Record<string, number> = {};
    for (const name of KERNEL_DROP_COUNTERS) if (kernel[name]) caughtByKernel[name] = kernel[name];
    const txErrors = tun.device.stats().txErrors - txErrorsBefore;
    if (txErrors > 0) caughtByKernel['tun write refused'] = txErrors;
    const caughtByTcplab = tcplabCaught(tcplab);
    return {
      direction: o.direction,
      bytes: o.bytes,
      received,
      sha256Match,
      seconds,
      goodputMbps: (received * 8) / seconds / 1e6,
      faults: { in: { ...faults.stats.in }, out: { ...faults.stats.out } },
      tcplab,
      kernel,
      corruption: {
        toTcplab: { injected: faults.stats.in.corrupted, uncounted: 0, caught: caughtByTcplab, caughtTotal: sum(caughtByTcplab) },
        toKernel: { injected: faults.stats.out.corrupted, uncounted: dataOffsetPastEnd, caught: caughtByKernel, caughtTotal: sum(caughtByKernel) },
      },
    };
  } finally {
    net?.close();
    if (!net) faults.close();
  }
}

function counterDeltaOf(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const moved: Record<string, number> = {};
  for (const [name, value] of Object.entries(after)) {
    const d = value - (before[name] ?? 0);
    if (d !== 0) moved[name] = d;
  }
  return moved;
}

/** The kernel sends, tcplab's server reads and hashes until the kernel's FIN. */
async function toTcplab(net: NetStack, o: TransferOptions, port: number): Promise<{ received: number; sha256Match: boolean }> {
  const server = net.createServer({ allowHalfOpen: true });
  server.listen({ port, host: TCPLAB });
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const sender = o.ns.spawn(['python3', '-c', KERNEL_SENDER, TCPLAB, String(port), String(o.bytes)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  sender.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
  sender.stderr?.setEncoding('utf8').on('data', (d: string) => (errors += d));
  const exited = new Promise<number | null>((resolve) => sender.once('close', resolve));
  const [socket] = await accepted;
  const hash = createHash('sha256');
  let received = 0;
  socket.on('data', (d: Buffer) => {
    hash.update(d);
    received += d.length;
  });
  const ended = once(socket, 'end');
  const closed = once(socket, 'close');
  await ended;
  socket.end();
  await closed;
  const code = await exited;
  server.close();
  if (code !== 0) throw new Error(`kernel sender failed (${code}): ${errors.trim()}`);
  const sent = JSON.parse(output) as { sha256: string; congestion: string };
  return { received, sha256Match: hash.digest('hex') === sent.sha256 };
}

/**
 * The kernel's side of kernel → tcplab: connect, send the ramp pattern (kernel_peer.py's), half-
 * close, wait for tcplab's FIN. With CUBIC, Linux's default, set on the socket: a namespace
 * inherits the host's default, and a host on BBR (which ignores random loss) would not compare
 * like with like.
 */
const KERNEL_SENDER = `
import hashlib, json, socket, sys
host, port, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"cubic")
s.connect((host, port))
ramp = bytes(range(251)) * 263
h = hashlib.sha256()
sent = 0
while sent < total:
    start = sent % 251
    block = ramp[start:start + min(65536, total - sent)]
    s.sendall(block)
    h.update(block)
    sent += len(block)
s.shutdown(socket.SHUT_WR)
while s.recv(65536):
    pass
cc = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).split(b"\\0")[0].decode()
s.close()
print(json.dumps({"sha256": h.hexdigest(), "congestion": cc}))
`;

/** tcplab's client writes, the kernel's server reads and hashes until tcplab's FIN. */
async function toKernel(net: NetStack, o: TransferOptions, port: number, timeoutMs: number): Promise<{ received: number; sha256Match: boolean }> {
  const listener = await o.peer.listen(port, { host: KERNEL });
  const socket = net.connect({ host: KERNEL, port });
  // Nothing comes back but the kernel's FIN; reading lets the socket see it and close.
  socket.resume();
  const closed = once(socket, 'close');
  const accepted = await o.peer.accept(listener, 60);
  const receiving = o.peer.recvAll(accepted, { timeoutSeconds: Math.ceil(timeoutMs / 1000) });
  const failed = new Promise<never>((_, reject) => socket.once('error', reject));
  failed.catch(() => undefined);
  for (let at = 0; at < o.bytes; at += CHUNK) {
    const chunk = Buffer.from(patternBytes(Math.min(CHUNK, o.bytes - at), at));
    if (!socket.write(chunk)) await Promise.race([once(socket, 'drain'), failed]);
  }
  socket.end();
  const got = await Promise.race([receiving, failed]);
  await o.peer.close(accepted);
  await o.peer.close(listener);
  await Promise.race([closed, failed]);
  return { received: got.received, sha256Match: got.received === o.bytes && got.sha256 === patternSha256(o.bytes) };
}

/** `p`, or a rejection when it takes longer than `timeoutMs` or the connection's sequence
 *  numbers stop moving for `stallMs`; the error says where every connection stood. */
function watched<T>(p: Promise<T>, net: NetStack, o: { timeoutMs: number; stallMs: number; what: string }): Promise<T> {
  let timer: ReturnType<typeof setInterval> | undefined;
  const started = performance.now();
  let lastProgress = started;
  let lastMark = '';
  const timeout = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const now = performance.now();
      const mark = [...net.stack.tcp.connections.values()].map((ep) => `${ep.connection.sndUna}/${ep.connection.rcvNxt}`).join(',');
      if (mark !== lastMark) {
        lastMark = mark;
        lastProgress = now;
      }
      const stalled = now - lastProgress > o.stallMs;
      if (stalled || now - started > o.timeoutMs) {
        const why = stalled ? `no sequence number moved for ${o.stallMs} ms` : `not done after ${o.timeoutMs} ms`;
        reject(new Error(`${o.what}: ${why}; connections: ${describeConnections(net)}`));
      }
    }, 1000);
  });
  return Promise.race([p, timeout]).finally(() => clearInterval(timer));
}

/** Where one connection stands (its engine's sequence space, windows and timer), as JSON. */
export function describeConnection(c: TcpConnectionView, now: number): string {
  return JSON.stringify({
    state: c.stateName,
    sndUna: c.sndUna,
    sndNxt: c.sndNxt,
    sndMax: c.sndMax,
    sndWnd: c.sndWnd,
    rcvNxt: c.rcvNxt,
    rcvWnd: c.rcvWnd,
    readable: c.readable,
    sendQueued: c.sendQueued,
    cwnd: c.cwnd,
    ssthresh: c.ssthresh,
    caState: c.caState,
    rto: c.rto,
    timer: c.activeTimer(now),
    nextDeadlineIn: (c.nextDeadline() ?? Number.NaN) - now,
  });
}

/** Where each connection of the stack stands, for a failure message. */
export function describeConnections(net: NetStack): string {
  const now = net.now();
  const rows = [...net.stack.tcp.connections.values()].map((ep) => describeConnection(ep.connection, now));
  return rows.length === 0 ? 'none' : rows.join('; ');
}
