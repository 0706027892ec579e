// A Link is where packets come from and go to: a TUN device, an in-memory pair, a
// fault injector wrapped around another link. Packets are bare IPv4/IPv6 datagrams.

/** Packets received together. Their bytes are valid only during the callback. */
export interface PacketBatch {
  readonly count: number;
  packet(index: number): Uint8Array;
}

export interface Link {
  /** Largest IP packet the link carries. */
  readonly mtu: number;
  /** Send packets in one go; the link copies them out before returning. */
  send(packets: readonly Uint8Array[]): void;
  /** Register the one receiver of incoming batches (starts delivery). */
  onReceive(handler: (batch: PacketBatch) => void): void;
  close(): void;
}
