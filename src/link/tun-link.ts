// A Link over a TUN device: the kernel on one side, tcplab on the other.
import type { Link, PacketBatch } from './link.js';
import { TunDevice, type TunOptions } from './tun-device.js';

export class TunLink implements Link {
  readonly device: TunDevice;

  constructor(device: TunDevice) {
    this.device = device;
  }

  /** Open a TUN device (see TunOptions) and wrap it. */
  static open(options: TunOptions): TunLink {
    return new TunLink(TunDevice.open(options));
  }

  get mtu(): number {
    return this.device.mtu;
  }

  send(packets: readonly Uint8Array[]): void {
    this.device.write(packets);
  }

  onReceive(handler: (batch: PacketBatch) => void): void {
    this.device.onBatch(handler);
  }

  close(): void {
    this.device.close();
  }
}
