// Child process of bench/tun-read.ts: the addon side of the comparison. It does what
// bench/c/tun_reader.c does, through TunDevice: create the device in the bench namespace,
// print "ready", then
// - MODE "stream": wait for the first packet, stay paused for the warmup (the device
//   queue fills: the window starts in overload), read-and-drop for the window, print one
//   JSON line, exit;
// - MODE "drain": for every line "drain" on stdin, read the queue until it is empty and
//   print one JSON line; exit at EOF.
//
//   node tun-read-addon.js NETNS NAME ADDR/PREFIX MTU TXQUEUELEN WARMUP_S SECONDS BATCH_PACKETS MODE
//
// Run it inside the namespace (ip netns exec), like the C reader, so that /sys shows the
// device's counters.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { TunDevice } from '../src/link/tun-device.js';

const [netns, name, cidr, mtuText, qlenText, warmupText, secondsText, batchText, mode] = process.argv.slice(2);
if (mode !== 'stream' && mode !== 'drain') {
  process.stderr.write('usage: tun-read-addon NETNS NAME ADDR/PREFIX MTU TXQUEUELEN WARMUP_S SECONDS BATCH_PACKETS stream|drain\n');
  process.exit(2);
}
const warmupMs = Number(warmupText) * 1000;
const windowMs = Number(secondsText) * 1000;

const tun = TunDevice.open({
  netns,
  name,
  addresses: [cidr as string],
  mtu: Number(mtuText),
  txQueueLen: Number(qlenText),
  batchPackets: Number(batchText),
});

/** The device's transmit counters (kernel → reader): queued for us, dropped for want of room. */
function counter(which: 'tx_packets' | 'tx_dropped'): number {
  try {
    return Number(readFileSync(`/sys/class/net/${tun.name}/statistics/${which}`, 'utf8'));
  } catch {
    return 0;
  }
}

let phase: 'first' | 'warmup' | 'counting' = 'first';
let start = 0;
let end = 0;
let last = 0;
let packets = 0;
let bytes = 0;
let batches = 0;
let queued0 = 0;
let dropped0 = 0;
let guard: ReturnType<typeof setTimeout> | undefined;

function finish(ok: boolean, why?: string): void {
  clearTimeout(guard);
  const queued = counter('tx_packets') - queued0;
  const dropped = counter('tx_dropped') - dropped0;
  const stats = tun.stats();
  tun.close();
  if (!ok) {
    process.stderr.write(`tun-read-addon: ${why}\n`);
    process.exit(1);
  }
  const seconds = (last - start) / 1000;
  const result = {
    packets,
    bytes,
    seconds,
    pps: seconds > 0 ? packets / seconds : 0,
    queued,
    dropped,
    batches,
    packetsPerBatch: batches > 0 ? packets / batches : 0,
    wakeups: stats.rxWakeups,
    batchPackets: tun.batchPackets,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

if (mode === 'drain') drainMode();
else streamMode();

function streamMode(): void {
  // Bounded: no first packet within 10 s, or traffic stopping inside the window, ends the run.
  guard = setTimeout(() => finish(false, 'no packet within 10 s'), 10_000);

  tun.onBatch((batch) => {
    if (phase === 'counting') {
      const lengths = batch.lengths;
      for (let i = 0; i < batch.count; i++) bytes += lengths[i] as number;
      packets += batch.count;
      batches++;
      last = performance.now();
      if (last >= end) finish(true);
      return;
    }
    if (phase === 'first') {
      phase = 'warmup';
      tun.pause();
      clearTimeout(guard);
      setTimeout(() => {
        phase = 'counting';
        queued0 = counter('tx_packets');
        dropped0 = counter('tx_dropped');
        start = performance.now();
        last = start;
        end = start + windowMs;
        guard = setTimeout(() => finish(true), windowMs + 2000);
        tun.resume();
      }, warmupMs);
    }
  });
}

/**
 * A drain ends with the first batch smaller than batchPackets: the arena holds exactly
 * batchPackets packets of MTU size, so a short batch means read() said EAGAIN.
 */
function drainMode(): void {
  let t0 = 0;
  let lastBatch = 0;
  let n = 0;
  let b = 0;
  let draining = false;
  let idle: ReturnType<typeof setTimeout> | undefined;
  const report = (): void => {
    draining = false;
    clearTimeout(idle);
    tun.pause();
    process.stdout.write(`${JSON.stringify({ packets: n, bytes: b, seconds: (lastBatch - t0) / 1000 })}\n`);
  };
  tun.pause();
  tun.onBatch((batch) => {
    if (!draining) return;
    lastBatch = performance.now();
    n += batch.count;
    const lengths = batch.lengths;
    for (let i = 0; i < batch.count; i++) b += lengths[i] as number;
    if (batch.count < tun.batchPackets) report();
  });
  let input = '';
  process.stdin.setEncoding('utf8').on('data', (chunk: string) => {
    input += chunk;
    let nl: number;
    while ((nl = input.indexOf('\n')) >= 0) {
      const line = input.slice(0, nl);
      input = input.slice(nl + 1);
      if (line !== 'drain' || draining) continue;
      draining = true;
      n = 0;
      b = 0;
      t0 = performance.now();
      lastBatch = t0;
      // An empty queue, or one holding an exact multiple of batchPackets, never gives a
      // short batch: end the drain when nothing came for 100 ms.
      const check = (): void => {
        if (!draining) return;
        if (performance.now() - lastBatch > 100) report();
        else idle = setTimeout(check, 20);
      };
      idle = setTimeout(check, 20);
      tun.resume();
    }
  });
  process.stdin.on('end', () => {
    tun.close();
    process.exit(0);
  });
}
process.stdout.write('ready\n');
