// A Link is where packets come from and go to: a TUN device, an in-memory pair, a
// fault injector wrapped around another link. Packets are bare IPv4/IPv6 datagrams.

/** Packets received together. Their bytes are valid only during the callback. */
export interface PacketBatch {
  readonly count: number;
  packet(index: number): Uint8Array;
  /**
   * The device vouches for packet `index`'s transport checksum, so nobody verifies it: the
   * kernel checked it (virtio-net DATA_VALID), or the packet never left this host and its
   * checksum was never computed (NEEDS_CSUM: the field holds a partial sum). Absent: false.
   */
  checksumTrusted?(index: number): boolean;
}

/** What a link's device does for the stack above it (Linux netdev features). */
export interface LinkOffload {
  /** TCP checksums marked partial (src/wire/partial-checksum.ts) are finished by the device. */
  readonly checksum: boolean;
  /** The largest TCP packet the device takes and segments (TSO/GSO; Linux gso_max_size), or 0
   *  when it takes nothing larger than the MTU. */
  readonly gsoMaxSize: number;
}

export interface Link {
  /** Largest IP packet the link carries. */
  readonly mtu: number;
  /** Offloads of the device, when it has any. A link that copies or rewrites packets on the
   *  way (fault injection) must not announce them: the marks do not survive a copy. */
  readonly offload?: LinkOffload;
  /** Send packets in one go; the link copies them out before returning. */
  send(packets: readonly Uint8Array[]): void;
  /** Register the one receiver of incoming batches (starts delivery). */
  onReceive(handler: (batch: PacketBatch) => void): void;
  close(): void;
}
