// Micro benchmarks (benchmark.js) of the per-packet work: parsing and building a segment, the
// checksum, the engine's cost per segment (a data segment in, its ACK out), and the demux
// lookup. No privileges, no device; a few seconds each.
//
//   npm run bench:micro                 (or: node dist/bench/micro.js [--filter TEXT] [--json FILE])
//
// Timer-wheel operations have their own benchmarks (bench/timer-wheel.ts, when present).
import Benchmark from 'benchmark';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { tcpPacket } from '../src/stack/ip-output.js';
import { fourTupleKey } from '../src/stack/four-tuple.js';
import { Connection, type IncomingSegment } from '../src/tcp/connection.js';
import { parseIpAddress } from '../src/wire/address.js';
import { onesComplementSum } from '../src/wire/checksum.js';
import { parsePacket } from '../src/wire/packet.js';
import { linuxTcpOptions } from '../src/wire/tcp-options.js';
import { TCP_ACK, TCP_PSH, TCP_SYN, parseTcp, type TcpSegment } from '../src/wire/tcp.js';

export interface MicroResult {
  name: string;
  opsPerSecond: number;
  /** Relative margin of error, percent. */
  rme: number;
  samples: number;
  /** Nanoseconds per operation. */
  ns: number;
}

const LOCAL = parseIpAddress('10.77.0.2') as number;
const REMOTE = parseIpAddress('10.77.0.1') as number;
const MSS = 1448;
const data = Uint8Array.from({ length: 65536 }, (_, i) => (i * 131 + 7) & 0xff);

function fields(seq: number, len: number) {
  return {
    srcPort: 40000,
    dstPort: 5201,
    seq,
    ack: 1,
    flags: TCP_ACK | TCP_PSH,
    window: 502,
    options: linuxTcpOptions({ tsVal: 1000, tsEcr: 2000 }),
    payload: data.subarray(0, len),
  };
}

/** A passive connection, established, receiving in-order full-sized segments. */
function receivingConnection(): { conn: Connection; segment: (seq: number) => IncomingSegment } {
  const irs = 1_000_000;
  const syn = parseTcp(tcpPacket(REMOTE, LOCAL, { srcPort: 40000, dstPort: 5201, seq: irs, flags: TCP_SYN, window: 64240, options: linuxTcpOptions({ mss: 1460, sackPermitted: true, tsVal: 1, tsEcr: 0, windowScale: 7 }) }).subarray(20)) as TcpSegment;
  const conn = Connection.acceptSyn(syn, {
    local: { address: LOCAL, port: 5201 },
    remote: { address: REMOTE, port: 40000 },
    iss: 5000,
    now: 0,
    mss: 1460,
  });
  conn.takeOutput();
  const ack = parseTcp(tcpPacket(REMOTE, LOCAL, { srcPort: 40000, dstPort: 5201, seq: irs + 1, ack: 5001, flags: TCP_ACK, window: 502, options: linuxTcpOptions({ tsVal: 2, tsEcr: 0 }) }).subarray(20)) as TcpSegment;
  conn.input(ack, 1);
  conn.takeOutput();
  // One segment, parsed once; only its sequence number changes (the payload is the same view).
  const template = { ...(parseTcp(tcpPacket(REMOTE, LOCAL, { ...fields(irs + 1, MSS), srcPort: 40000, dstPort: 5201, ack: 5001 }).subarray(20)) as TcpSegment) };
  return {
    conn,
    segment: (seq) => {
      (template as { seq: number }).seq = seq;
      return template;
    },
  };
}

export function runMicro(opts: { filter?: string; log: (line: string) => void }): MicroResult[] {
  const packet1500 = tcpPacket(LOCAL, REMOTE, fields(1, MSS));
  const packet64k = tcpPacket(LOCAL, REMOTE, fields(1, 45 * MSS));
  const recv = receivingConnection();
  let seq = 1_000_001;
  let sink = 0;

  // Demux: 10 000 connections in the table, lookups of existing ones.
  const table = new Map<string, number>();
  for (let i = 0; i < 10_000; i++) table.set(fourTupleKey(LOCAL, 5201, (REMOTE + (i >>> 12)) >>> 0, 32768 + (i & 4095)), i);
  let probe = 0;

  const suite = new Benchmark.Suite('tcplab');
  const add = (name: string, fn: () => void): void => {
    if (opts.filter === undefined || name.includes(opts.filter)) suite.add(name, fn);
  };
  add('parse: IPv4 + TCP, 1448 B, checksum verified', () => {
    sink ^= parsePacket(packet1500).ok ? 1 : 0;
  });
  add('parse: IPv4 + TCP, 1448 B, checksum trusted (offload)', () => {
    sink ^= parsePacket(packet1500, false).ok ? 1 : 0;
  });
  add('build: IPv4 + TCP + timestamps, 1448 B, full checksum', () => {
    sink ^= tcpPacket(LOCAL, REMOTE, fields(seq++, MSS)).length;
  });
  add('build: IPv4 + TCP + timestamps, 1448 B, partial checksum (offload)', () => {
    sink ^= tcpPacket(LOCAL, REMOTE, fields(seq++, MSS), { partialChecksum: true }).length;
  });
  add('build: 64 KiB super-segment, partial checksum (offload)', () => {
    sink ^= tcpPacket(LOCAL, REMOTE, fields(seq++, 45 * MSS), { partialChecksum: true, gsoSize: MSS }).length;
  });
  add('checksum: 1448 B', () => {
    sink ^= onesComplementSum(packet1500, 52, packet1500.length);
  });
  add('checksum: 64 KiB', () => {
    sink ^= onesComplementSum(packet64k, 52, packet64k.length);
  });
  let rseq = 1_000_001;
  let now = 2;
  add('engine: one in-order 1448 B segment in, the ACKs out (every second), data read', () => {
    recv.conn.input(recv.segment(rseq), now);
    rseq = (rseq + MSS) >>> 0;
    sink ^= recv.conn.takeOutput().length;
    if ((rseq & 0xffff) < MSS) {
      sink ^= recv.conn.read(undefined, now).length;
      now += 0.001;
    }
  });
  add('demux: 4-tuple key and lookup among 10 000 connections', () => {
    const i = probe++ % 10_000;
    sink ^= table.get(fourTupleKey(LOCAL, 5201, (REMOTE + (i >>> 12)) >>> 0, 32768 + (i & 4095))) ?? 0;
  });

  const results: MicroResult[] = [];
  suite.on('cycle', (event: Benchmark.Event) => {
    const b = event.target as unknown as Benchmark & { stats: Benchmark.Stats };
    const hz = b.hz ?? 0;
    const r = { name: b.name ?? '', opsPerSecond: hz, rme: b.stats.rme, samples: b.stats.sample.length, ns: 1e9 / hz };
    results.push(r);
    opts.log(`  ${r.name.padEnd(78)} ${(hz / 1e6).toFixed(3).padStart(8)} M/s  ${r.ns.toFixed(0).padStart(7)} ns  ±${r.rme.toFixed(1)}%`);
  });
  suite.run({ async: false });
  if (sink === 0.5) opts.log(''); // keeps `sink` alive
  return results;
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '');
if (isMain) {
  const { values } = parseArgs({ options: { filter: { type: 'string' }, json: { type: 'string' } } });
  console.log('micro benchmarks (benchmark.js):');
  const results = runMicro({ ...(values.filter ? { filter: values.filter } : {}), log: (l) => console.log(l) });
  if (values.json) writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
}
