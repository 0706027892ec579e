/**
 * The options inside Hop-by-Hop and Destination Options headers (RFC 8200 §4.2): a list of
 * type-length-value entries, padded to a multiple of 8 octets with Pad1 and PadN.
 */

import { EMPTY_BYTES } from './bytes.js';
import { wireError, type WireError } from './parse-failure.js';

export const IPV6_OPT_PAD1 = 0;
export const IPV6_OPT_PADN = 1;
/** Router Alert (RFC 2711): MLD messages carry it in a Hop-by-Hop header (RFC 3810 §5). */
export const IPV6_OPT_ROUTER_ALERT = 5;
/** Jumbo Payload (RFC 2675). */
export const IPV6_OPT_JUMBO = 0xc2;

export interface Ipv6Option {
  readonly type: number;
  /** Option Data (empty for Pad1). */
  readonly data: Uint8Array;
}

/**
 * What a node that does not recognise an option must do, from the two high bits of its type
 * (RFC 8200 §4.2): skip it; discard the packet; discard and send an ICMPv6 Parameter Problem;
 * or the same only when the destination is not multicast.
 */
export type Ipv6UnrecognizedOptionAction = 'skip' | 'discard' | 'discard-send-icmp' | 'discard-send-icmp-if-unicast';

const ACTIONS: readonly Ipv6UnrecognizedOptionAction[] = ['skip', 'discard', 'discard-send-icmp', 'discard-send-icmp-if-unicast'];

export function ipv6UnrecognizedOptionAction(type: number): Ipv6UnrecognizedOptionAction {
  return ACTIONS[(type >>> 6) & 3];
}

export type Ipv6OptionsResult = { readonly ok: true; readonly options: readonly Ipv6Option[] } | WireError;

const BAD_OPTION_LENGTH = wireError('ipv6', 'bad-option-length');

/**
 * Decodes the options of a Hop-by-Hop or Destination Options header, given its `body` (the bytes
 * after Next Header and Hdr Ext Len). Padding options are included, in order. An option whose
 * length runs past the header fails the list (Linux `ip6_parse_tlv` drops the packet).
 */
export function parseIpv6Options(body: Uint8Array): Ipv6OptionsResult {
  const options: Ipv6Option[] = [];
  let i = 0;
  while (i < body.length) {
    const type = body[i];
    if (type === IPV6_OPT_PAD1) {
      options.push({ type, data: EMPTY_BYTES });
      i++;
      continue;
    }
    if (i + 2 > body.length) return BAD_OPTION_LENGTH;
    const end = i + 2 + body[i + 1];
    if (end > body.length) return BAD_OPTION_LENGTH;
    options.push({ type, data: body.subarray(i + 2, end) });
    i = end;
  }
  return { ok: true, options };
}

/**
 * Encodes options into a header body, padding the whole header (these bytes plus the two leading
 * octets) to a multiple of 8 with Pad1 or PadN, as RFC 8200 §4.2 requires.
 */
export function encodeIpv6Options(options: readonly Ipv6Option[]): Uint8Array {
  let length = 0;
  for (const o of options) length += o.type === IPV6_OPT_PAD1 ? 1 : 2 + o.data.length;
  const padding = (8 - ((2 + length) % 8)) % 8;
  const body = new Uint8Array(length + padding);
  let at = 0;
  for (const o of options) {
    body[at++] = o.type;
    if (o.type === IPV6_OPT_PAD1) continue;
    if (o.data.length > 255) throw new RangeError(`IPv6 option ${o.type}: data longer than 255 bytes`);
    body[at++] = o.data.length;
    body.set(o.data, at);
    at += o.data.length;
  }
  // Pad1 for a single byte, otherwise one PadN whose zero data fills the rest.
  if (padding === 1) body[at] = IPV6_OPT_PAD1;
  else if (padding > 1) {
    body[at] = IPV6_OPT_PADN;
    body[at + 1] = padding - 2;
  }
  return body;
}
