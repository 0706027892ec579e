// Taps a link: every packet that crosses it, both directions, is written to a pcap
// file exactly as it crossed, with the time it crossed.
import type { Link, LinkOffload, PacketBatch } from './link.js';
import { PcapWriter, wallClockNs, type PcapWriterOptions } from './pcap-writer.js';

export class CaptureLink implements Link {
  readonly writer: PcapWriter;

  constructor(
    private readonly inner: Link,
    path: string,
    options: PcapWriterOptions = {},
  ) {
    this.writer = new PcapWriter(path, options);
  }

  get mtu(): number {
    return this.inner.mtu;
  }

  /** Passed through: the packets cross unchanged (the capture shows them as the device does). */
  get offload(): LinkOffload | undefined {
    return this.inner.offload;
  }

  send(packets: readonly Uint8Array[]): void {
    const now = wallClockNs();
    for (const packet of packets) this.writer.write(packet, now);
    this.inner.send(packets);
  }

  onReceive(handler: (batch: PacketBatch) => void): void {
    this.inner.onReceive((batch) => {
      const now = wallClockNs();
      for (let i = 0; i < batch.count; i++) this.writer.write(batch.packet(i), now);
      handler(batch);
    });
  }

  /** Make the file on disk complete up to now (e.g. before tcpdump reads it). */
  flush(): void {
    this.writer.flush();
  }

  close(): void {
    this.inner.close();
    this.writer.close();
  }
}
