// What the lab puts between a stack and its device (TUN or in-memory), bottom up: the capture
// (what crossed the device), the tap (the timeline's packet lines), and packet control (loss,
// delay, holds, injection) nearest the stack, so a dropped outgoing packet never reaches the
// capture and a dropped incoming one is still in it, as on a real wire.
import { CaptureLink } from '../link/capture-link.js';
import { FaultLink, type FaultLinkOptions } from '../link/fault-link.js';
import type { Link } from '../link/link.js';
import { wallClockNs } from '../link/pcap-writer.js';
import { TapLink } from '../link/tap-link.js';

export interface LinkLayerOptions {
  /** Write every packet on the device here. */
  pcap?: string;
  /** Bytes kept of each packet in the capture (default: all of it). */
  pcapSnapLength?: number;
  /** Impair or control packets on tcplab's side of the device. */
  faults?: FaultLinkOptions;
  /** Sees every packet that crosses the device (after faults), with its direction. */
  onPacket?: (packet: Uint8Array, direction: 'in' | 'out') => void;
}

export function layerLink(device: Link, options: LinkLayerOptions): { link: Link; capture: CaptureLink | undefined; faults: FaultLink | undefined } {
  let link = device;
  const capture = options.pcap ? new CaptureLink(link, options.pcap, { snapLength: options.pcapSnapLength }) : undefined;
  if (capture) link = capture;
  if (options.onPacket) link = new TapLink(link, options.onPacket);
  // Injected packets never crossed the device: the capture records them where they enter.
  const faults = options.faults
    ? new FaultLink(link, {
        ...options.faults,
        onInjected: (packet, direction) => {
          capture?.writer.write(packet, wallClockNs());
          options.faults?.onInjected?.(packet, direction);
        },
      })
    : undefined;
  if (faults) link = faults;
  return { link, capture, faults };
}
