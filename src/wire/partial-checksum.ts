/**
 * Outgoing packets whose TCP checksum the device finishes (Linux's CHECKSUM_PARTIAL): their
 * checksum field holds only the folded pseudo-header sum, and a device with checksum offload
 * (a TUN device opened with IFF_VNET_HDR and TUN_F_CSUM) sums the segment from there. A packet
 * larger than the MTU also carries the segment size the device cuts it into (gso_size): a TSO
 * super-segment. The mark rides beside the bytes, as skb->ip_summed and gso_size do beside
 * Linux's data: a copy of the bytes is an ordinary packet with a wrong checksum, so a link that
 * copies packets (fault injection) must not announce offloads to the stack above it.
 */

// A symbol-keyed property of the array itself rather than a WeakMap entry: a WeakMap with one
// short-lived key per packet costs the collector ~0.4 µs a packet, the property ~0.04 µs.
const GSO_SIZE = Symbol('tcplab.partialChecksumGsoSize');

type Marked = Uint8Array & { [GSO_SIZE]?: number };

/** Marks `packet` as carrying a partial TCP checksum; `gsoSize` > 0 for a super-segment. */
export function markPartialChecksum(packet: Uint8Array, gsoSize = 0): void {
  (packet as Marked)[GSO_SIZE] = gsoSize;
}

/** The packet's gso_size (0: one segment) when its checksum is partial, else undefined. */
export function partialChecksum(packet: Uint8Array): number | undefined {
  return (packet as Marked)[GSO_SIZE];
}
