// A link wrapper that prints every packet crossing it, both directions, as tcpdump
// would: the timeline a scenario shows while it runs.
import type { Link, PacketBatch } from '../link/link.js';
import { formatPacket, parsePacket } from '../wire/index.js';

export class TimelineLink implements Link {
  constructor(
    private readonly inner: Link,
    private readonly line: (text: string) => void,
  ) {}

  get mtu(): number {
    return this.inner.mtu;
  }

  send(packets: readonly Uint8Array[]): void {
    for (const p of packets) this.line(`tcplab → kernel  ${formatPacket(parsePacket(p))}`);
    this.inner.send(packets);
  }

  onReceive(handler: (batch: PacketBatch) => void): void {
    this.inner.onReceive((batch) => {
      for (let i = 0; i < batch.count; i++) this.line(`kernel → tcplab  ${formatPacket(parsePacket(batch.packet(i)))}`);
      handler(batch);
    });
  }

  close(): void {
    this.inner.close();
  }
}
