/**
 * A segment the connection wants sent. The stack adds ports and addresses (it knows the 4-tuple
 * and the IP layer); everything TCP decides is here.
 */

import type { IpAddress } from '../wire/address.js';
import { TCP_FIN, TCP_SYN, type TcpSegmentFields } from '../wire/tcp.js';
import type { TcpOption } from '../wire/tcp-options.js';

export interface OutgoingSegment {
  readonly seq: number;
  readonly ack: number;
  /** TCP_SYN | TCP_ACK ... (src/wire/tcp.ts). */
  readonly flags: number;
  /** The 16-bit Window field, already scaled. */
  readonly window: number;
  /** In wire order (Linux layout, see linuxTcpOptions). */
  readonly options: readonly TcpOption[];
  /** A copy: the connection never hands out views of its buffers. */
  readonly payload: Uint8Array;
  /** Free bytes before `payload` in its ArrayBuffer, which belong to this segment: the stack
   *  writes the IP and TCP headers there (src/stack/ip-output.ts), copying the data only once. */
  readonly headroom?: number;
  /** A super-segment (larger than one MSS, TSO): the segment size the device cuts it into. */
  readonly gsoSize?: number;
}

/** SEG.LEN (RFC 9293 §3.4): data plus one for SYN and one for FIN. */
export function outgoingLength(s: OutgoingSegment): number {
  return s.payload.length + (s.flags & TCP_SYN ? 1 : 0) + (s.flags & TCP_FIN ? 1 : 0);
}

export interface Endpoint {
  readonly address: IpAddress;
  readonly port: number;
}

/** The fields writeTcpSegment/buildTcpSegment take, for a segment from `local` to `remote`. */
export function toTcpSegmentFields(s: OutgoingSegment, local: Endpoint, remote: Endpoint): TcpSegmentFields {
  return {
    srcPort: local.port,
    dstPort: remote.port,
    seq: s.seq,
    ack: s.ack,
    flags: s.flags,
    window: s.window,
    options: s.options,
    payload: s.payload,
  };
}
