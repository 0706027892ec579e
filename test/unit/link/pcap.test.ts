// The pcap writer streams with bounded memory and the reader reads back exactly what was
// written; the reader also reads tcpdump's own files (test/fixtures/linux).
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LinkType } from '../../../src/link/pcap-format.js';
import { PcapFormatError, readPcap } from '../../../src/link/pcap-reader.js';
import { PcapWriter } from '../../../src/link/pcap-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'tcplab-pcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function packet(length: number, fill: number): Uint8Array {
  const p = new Uint8Array(length).fill(fill);
  p[0] = 0x45;
  return p;
}

describe('PcapWriter and readPcap', () => {
  it('round-trips packets and microsecond timestamps as LINKTYPE_RAW', () => {
    const path = join(dir, 'micro.pcap');
    const w = new PcapWriter(path);
    w.write(packet(60, 1), 1_700_000_000_123_456_789n);
    w.write(packet(1500, 2), 1_700_000_001_000_000_000n);
    w.close();
    const file = readPcap(readFileSync(path));
    expect(file.linkType).toBe(LinkType.RAW);
    expect(file.resolution).toBe('micro');
    expect(file.records.map((r) => [r.data.length, r.originalLength, r.timestampNs])).toEqual([
      [60, 60, 1_700_000_000_123_456_000n],
      [1500, 1500, 1_700_000_001_000_000_000n],
    ]);
    expect(file.records[1].ip?.[1]).toBe(2);
  });

  it('keeps nanoseconds when asked, and cuts packets at the snap length', () => {
    const path = join(dir, 'nano.pcap');
    const w = new PcapWriter(path, { resolution: 'nano', snapLength: 100 });
    w.write(packet(1500, 3), 5_000_000_007n);
    w.close();
    const [record] = readPcap(readFileSync(path)).records;
    expect(record.timestampNs).toBe(5_000_000_007n);
    expect(record.data.length).toBe(100);
    expect(record.originalLength).toBe(1500);
  });

  it('never holds more than its staging buffer: the file grows as packets arrive', () => {
    const path = join(dir, 'stream.pcap');
    const w = new PcapWriter(path, { bufferBytes: 4096 });
    for (let i = 0; i < 100; i++) w.write(packet(1000, i), BigInt(i) * 1000n);
    // 100 records of 1016 bytes went through a 4 KiB buffer: all but the last few are on disk.
    expect(statSync(path).size).toBeGreaterThan(24 + 95 * 1016);
    w.write(packet(10_000, 9), 0n); // larger than the buffer: straight to the file
    w.close();
    const file = readPcap(readFileSync(path));
    expect(file.records).toHaveLength(101);
    expect(file.records[100].data.length).toBe(10_000);
    expect(() => w.write(packet(1, 1), 0n)).toThrow(/closed/);
  });

  it('reads tcpdump files with an Ethernet link layer', () => {
    const file = readPcap(readFileSync(join(import.meta.dirname, '../../fixtures/linux/tcp4-rst.pcap')));
    expect(file.linkType).toBe(LinkType.ETHERNET);
    expect(file.records.map((r) => r.ip?.[0])).toEqual([0x45, 0x45]);
  });

  it('refuses what is not pcap with a clear error', () => {
    expect(() => readPcap(new Uint8Array(10))).toThrow(PcapFormatError);
    expect(() => readPcap(new Uint8Array(24))).toThrow(/not a pcap file/);
    const truncated = readFileSync(join(import.meta.dirname, '../../fixtures/linux/tcp4-rst.pcap')).subarray(0, 50);
    expect(() => readPcap(truncated)).toThrow(/truncated/);
  });
});
