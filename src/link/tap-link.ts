// Hands every packet that crosses a link to an observer, both directions, unchanged.
import type { Link, LinkOffload, PacketBatch } from './link.js';

export class TapLink implements Link {
  constructor(
    private readonly inner: Link,
    private readonly observe: (packet: Uint8Array, direction: 'in' | 'out') => void,
  ) {}

  get mtu(): number {
    return this.inner.mtu;
  }

  /** Passed through: the packets cross unchanged (the capture shows them as the device does). */
  get offload(): LinkOffload | undefined {
    return this.inner.offload;
  }

  send(packets: readonly Uint8Array[]): void {
    for (const p of packets) this.observe(p, 'out');
    this.inner.send(packets);
  }

  onReceive(handler: (batch: PacketBatch) => void): void {
    this.inner.onReceive((batch) => {
      for (let i = 0; i < batch.count; i++) this.observe(batch.packet(i), 'in');
      handler(batch);
    });
  }

  close(): void {
    this.inner.close();
  }
}
