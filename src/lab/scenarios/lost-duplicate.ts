// lost-duplicate (seeds 000, 004): why TIME-WAIT lasts 2 × MSL. A segment of an old connection
// that wandered in the network turns up after the connection closed, and a new connection with
// the same 4-tuple now exists whose receive window happens to cover its sequence number.
//
// tcplab connects from a fixed port to a kernel server, sends it 4 MB, and the kernel streams
// data back; every data segment from the kernel is recorded as it passes (the "network" keeps
// a copy), and tcplab closes first. Then tcplab reconnects from the same port, sends some data,
// and the kernel sends 1 MB more. Both ends' ISNs for a 4-tuple are a keyed hash plus a clock
// (RFC 6528), so the new ones are the old ones plus the time in between. The kernel's clock runs
// 15.6 M per second (64 ns ticks), so the kernel streams until its old bytes reach past where
// its next ISN will be: then some old segments fall inside the new receive window. tcplab's runs
// 250 k per second and the 4 MB it sent first cover 16 s of it, so its new ISN lies below the
// acknowledgment number the old segments carry; on the new connection tcplab sends just enough
// that this old ACK becomes one the connection accepts (RFC 5961 §5,
// with Linux's rule that an old ACK may go back no further than the bytes acknowledged so far).
// The old duplicates are injected, as they would turn up, before the kernel's new data.
//  - With TIME-WAIT: the reconnect fails (EADDRNOTAVAIL) until 2MSL are over; the duplicates
//    meet the TIME-WAIT connection and do no harm; the new stream arrives intact.
//  - With TIME-WAIT disabled (msl 0), timestamps off: the reconnect is immediate, the old bytes
//    are taken as new data (first copy wins), and the new stream is corrupted.
//  - With msl 0 but timestamps on: PAWS (RFC 7323 §5) drops the old duplicates by their old
//    TSval: the stream arrives intact. Timestamps were off above to show TIME-WAIT's own role.
import { createHash } from 'node:crypto';
import { IPPROTO_TCP, parsePacket } from '../../wire/index.js';
import { seqAdd, seqDiff } from '../../wire/seq.js';
import { ISN_CLOCK_TICKS_PER_MS } from '../../stack/isn.js';
import { patternSha256 } from '../pattern.js';
import type { ScenarioContext, ScenarioDefinition } from '../scenario.js';
import type { Socket } from '../../net/socket.js';

const LOCAL_PORT = 5020;
/** What the kernel streams on a first connection that ends in TIME-WAIT (nothing races it). */
const GUARDED_OLD_BYTES = 4_000_000;
/** Without TIME-WAIT the kernel streams in chunks until its data outruns its ISN clock. */
const OLD_CHUNK = 4_000_000;
/** Linux's ISN clock: secure_tcp_seq adds ktime_get_real_ns() >> 6, i.e. 15 625 per ms. Over
 *  the in-memory link the peer is tcplab, whose clock is RFC 6528's 4 µs one. */
const KERNEL_ISN_PER_MS = 15_625;
/** Time from the end of the old stream to the new SYN, generously (close, reconnect). */
const RECONNECT_MARGIN_MS = 500;
const NEW_BYTES = 1_000_000;
/**
 * What tcplab sends on the first connection: the kernel's old segments acknowledge it. tcplab's
 * own ISN clock (250 per ms) must not pass that acknowledgment before the reconnect (an old ACK
 * below the new ISN is never acceptable), so it covers OLD_TIME_LIMIT_MS of that clock.
 */
const OLD_TIME_LIMIT_MS = 14_000;
const OLD_SENT = (OLD_TIME_LIMIT_MS + 2_000) * ISN_CLOCK_TICKS_PER_MS;

interface Outcome {
  /** Set when the machine moved data too slowly to outrun the kernel's ISN clock. */
  tooSlow?: string;
  refusedWhileTimeWait: string | undefined;
  injected: number;
  intact: boolean;
  pawsDrops: number;
}

async function connectFromPort(ctx: ScenarioContext, port: number): Promise<Socket> {
  const socket = ctx.host.net.connect({ host: ctx.host.peerAddress, port, localPort: LOCAL_PORT, allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return socket;
}

/** Read `total` bytes (or what came before the end or `timeoutMs`) and hash them. */
function readBytes(socket: Socket, total: number, timeoutMs = 30_000): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  return new Promise((resolve) => {
    let finished = false;
    const onData = (d: Buffer): void => {
      hash.update(d);
      bytes += d.length;
      if (bytes >= total) done();
    };
    const done = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', done);
      socket.off('close', done);
      resolve({ bytes, sha256: hash.digest('hex') });
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', onData);
    socket.once('end', done);
    socket.once('close', done);
  });
}

/** `racing`: TIME-WAIT is off, so the reconnect follows at once and races the ISN clock. */
async function experiment(ctx: ScenarioContext, serverPort: number, label: string, racing: boolean): Promise<Outcome> {
  const { host, peer } = ctx;
  const faults = host.faults!;
  const listener = await peer.listen(serverPort, { host: host.peerAddress });
  // The network keeps a copy of every data segment of the first connection.
  const recorder = faults.addRule({ direction: 'in', match: { srcPort: serverPort, dstPort: LOCAL_PORT, where: (p) => p.l4.protocol === IPPROTO_TCP && p.l4.payload.length > 0 }, action: { kind: 'record' }, times: Infinity });
  const oldSynAt = performance.now();
  const [old, oldKernel] = await Promise.all([connectFromPort(ctx, serverPort), peer.accept(listener)]);
  const upstream = peer.recvAll(oldKernel, { bytes: OLD_SENT });
  old.write(Buffer.alloc(OLD_SENT, 0x2a));
  await upstream;
  // The kernel streams until its old bytes reach past its next ISN (when no TIME-WAIT will
  // delay the reconnect), plus a receive window, so old segments can land in the new window.
  let streamed = 0;
  let tooSlow: string | undefined;
  for (;;) {
    const chunk = racing ? OLD_CHUNK : GUARDED_OLD_BYTES;
    const oldRead = readBytes(old, chunk);
    await peer.sendPattern(oldKernel, chunk, { start: 100 + streamed });
    await oldRead;
    streamed += chunk;
    if (!racing) break;
    const peerIsnPerMs = ctx.host.ns ? KERNEL_ISN_PER_MS : ISN_CLOCK_TICKS_PER_MS;
    const elapsed = performance.now() - oldSynAt;
    if (streamed > (elapsed + RECONNECT_MARGIN_MS) * peerIsnPerMs + old.endpoint!.connection.rcvWnd) break;
    if (elapsed > OLD_TIME_LIMIT_MS) {
      const rate = streamed / elapsed / 1000;
      tooSlow = `this machine moved ${rate.toFixed(1)} MB/s, slower than the peer's ISN clock (${(peerIsnPerMs / 1000).toFixed(1)} M/s): old segments cannot land in a new window (try again on an idle machine)`;
      break;
    }
  }
  recorder.remove();
  ctx.note(`${label}: the kernel streamed ${(streamed / 1e6).toFixed(0)} MB on the first connection`);
  const oldIrs: number = old.endpoint!.connection.irs ?? 0;
  const oldAck = (old.endpoint!.connection.iss + 1 + OLD_SENT) >>> 0;
  // tcplab closes first: TIME-WAIT on tcplab's side (or nothing, with msl 0).
  old.end();
  await ctx.until('FIN-WAIT-2', () => old.tcpState === 'FIN-WAIT-2');
  await peer.close(oldKernel);
  await ctx.until('the old connection to close', () => old.tcpState === 'TIME-WAIT' || old.tcpState === 'CLOSED');
  ctx.note(`${label}: first connection closed, tcplab ${old.tcpState}; ${recorder.recorded.length} of its data segments are still "in the network"`);

  let refusedWhileTimeWait: string | undefined;
  const inject = (rcvNxt: number, window: number): number => {
    let n = 0;
    for (const packet of recorder.recorded) {
      const parsed = parsePacket(packet);
      if (!parsed.ok || parsed.l4.protocol !== IPPROTO_TCP) continue;
      const offset = seqDiff(parsed.l4.seq, rcvNxt);
      if (offset >= 0 && offset < window) {
        faults.inject('in', packet);
        n++;
      }
    }
    return n;
  };
  if (old.tcpState === 'TIME-WAIT') {
    refusedWhileTimeWait = await connectFromPort(ctx, serverPort).then(
      (s) => (s.destroy(), 'connected'),
      (err: NodeJS.ErrnoException) => err.code ?? String(err),
    );
    // Some duplicates arrive now, while TIME-WAIT still holds the 4-tuple: they hit the old
    // connection, which only acknowledges them again.
    let hits = 0;
    recorder.recorded.forEach((packet, i) => {
      if (i % 1000 === 500) {
        faults.inject('in', packet);
        hits++;
      }
    });
    ctx.note(`${label}: ${hits} old duplicates arrived during TIME-WAIT and were only re-acknowledged`);
    await ctx.until('the end of TIME-WAIT', () => old.tcpState === 'CLOSED', 2 * ctx.timers.msl + 5_000);
  }
  const pawsBefore = host.net.stack.counters.get('TcpExtPAWSEstab');
  const [fresh, freshKernel] = await Promise.all([connectFromPort(ctx, serverPort), peer.accept(listener)]);
  const conn = fresh.endpoint!.connection;
  ctx.note(`${label}: the kernel's new ISN is ${seqDiff(conn.irs ?? 0, oldIrs)} past the old one (its ISN clock ran on); tcplab's new ISN is ${seqDiff(conn.iss, oldAck)} from the old segments' ACK`);
  // Send enough that SND.UNA passes the old ACK by 32 kB: then that ACK is an old one the
  // connection still accepts (it acknowledged more than 32 kB already).
  const newSent = Math.max(0, seqDiff(oldAck, seqAdd(conn.iss, 1))) + 32_768;
  const freshUpstream = peer.recvAll(freshKernel, { bytes: newSent });
  fresh.write(Buffer.alloc(newSent, 0x2b));
  await freshUpstream;
  await ctx.until('our data acknowledged', () => conn.sendQueued === 0);
  // Old duplicates whose sequence numbers fall in the new receive window turn up first.
  const injected = old.tcpState === 'CLOSED' && refusedWhileTimeWait === undefined ? inject(conn.rcvNxt, conn.rcvWnd) : 0;
  if (injected > 0) ctx.note(`${label}: ${injected} old duplicate(s) land inside the new connection's window; ${conn.outOfOrderBytes + conn.readable} bytes of them were taken as data`);
  const freshRead = readBytes(fresh, NEW_BYTES, 2_000);
  void peer.sendPattern(freshKernel, NEW_BYTES).catch(() => undefined);
  const got = await freshRead;
  const intact = got.bytes === NEW_BYTES && got.sha256 === patternSha256(NEW_BYTES);
  if (!intact) ctx.note(`${label}: the new stream ${got.bytes < NEW_BYTES ? `stalled after ${got.bytes} bytes (our ACKs now acknowledge bytes the kernel never sent)` : 'arrived with the wrong bytes'}`);
  fresh.resetAndDestroy();
  await peer.close(freshKernel).catch(() => undefined);
  return { tooSlow, refusedWhileTimeWait, injected, intact, pawsDrops: host.net.stack.counters.get('TcpExtPAWSEstab') - pawsBefore };
}

export const lostDuplicate: ScenarioDefinition = {
  name: 'lost-duplicate',
  summary: 'an old duplicate reaches a new connection on the same 4-tuple: harmless with TIME-WAIT, corrupting without',
  expect: { tcplab: ['TIME-WAIT', 'CLOSED'], kernel: [] },
  ports: [5021, 5022, 5023],
  // 90 MB cross the device: the capture keeps the headers (what the experiment is about).
  captureSnapLength: 128,
  async run(ctx) {
    const stack = ctx.host.net.stack.tcp;
    // RFC 1337: an old duplicate in TIME-WAIT draws an ACK, the peer (which has forgotten the
    // connection) answers with RST, and Linux's default (tcp_rfc1337 = 0) lets that RST end
    // TIME-WAIT early. tcpRfc1337 keeps TIME-WAIT for its whole 2MSL here.
    stack.configure({ tcpTimestamps: false, tcpRfc1337: true });
    const guarded = await experiment(ctx, 5021, 'with TIME-WAIT', false);
    ctx.check('with TIME-WAIT: reconnecting on the same 4-tuple waits (EADDRNOTAVAIL)', guarded.refusedWhileTimeWait === 'EADDRNOTAVAIL', guarded.refusedWhileTimeWait ?? 'not refused');
    ctx.check('with TIME-WAIT: the new stream arrives intact', guarded.intact, guarded.intact ? 'sha256 matches' : 'corrupted');

    stack.configure({ msl: 0 });
    const exposed = await experiment(ctx, 5022, 'msl 0, no timestamps', true);
    ctx.check('without TIME-WAIT: old duplicates fall inside the new window', exposed.injected > 0, exposed.tooSlow ?? `${exposed.injected} injected`);
    ctx.check('without TIME-WAIT: the new stream is corrupted by them', !exposed.intact, exposed.intact ? 'intact' : 'not the bytes the kernel sent');

    stack.configure({ msl: 0, tcpTimestamps: true });
    const paws = await experiment(ctx, 5023, 'msl 0, timestamps on', true);
    ctx.check('without TIME-WAIT but with timestamps: PAWS drops the old duplicates, the stream is intact', paws.intact && (paws.injected === 0 || paws.pawsDrops > 0), `${paws.injected} injected, PAWSEstab +${paws.pawsDrops}, ${paws.intact ? 'intact' : 'corrupted'}`);
  },
};
