/**
 * IPv4 options (RFC 791 §3.1), decoded from the raw bytes that {@link parseIpv4} keeps. tcplab
 * does not act on any of them; they are decoded for inspection (`ping -R` record route).
 */

import { EMPTY_BYTES } from './bytes.js';
import { ipv4AddressFromBytes, type Ipv4Address } from './address.js';
import { wireError, type WireError } from './parse-failure.js';

/** Option types (IANA "IP Option Numbers": copy bit, class and number in one octet). */
export const IPOPT_EOL = 0;
export const IPOPT_NOP = 1;
/** Record Route (RFC 791). */
export const IPOPT_RR = 7;
/** Internet Timestamp (RFC 791). */
export const IPOPT_TS = 68;
/** Loose Source and Record Route (RFC 791). */
export const IPOPT_LSRR = 131;
/** Strict Source and Record Route (RFC 791). */
export const IPOPT_SSRR = 137;
/** Router Alert (RFC 2113). */
export const IPOPT_RA = 148;

export interface Ipv4Option {
  readonly type: number;
  /** The bytes after the type and length octets (empty for End of Option List and No Operation). */
  readonly data: Uint8Array;
}

export type Ipv4OptionsResult = { readonly ok: true; readonly options: readonly Ipv4Option[] } | WireError;

const BAD_OPTION_LENGTH = wireError('ipv4', 'bad-option-length');

/**
 * Decodes the option list, in order. End of Option List is included and ends the walk (what
 * follows is padding). A length octet below 2, or one reaching past the end, fails the whole
 * list, as it fails the datagram in Linux (`ip_options_compile`).
 */
export function parseIpv4Options(raw: Uint8Array): Ipv4OptionsResult {
  const options: Ipv4Option[] = [];
  let i = 0;
  while (i < raw.length) {
    const type = raw[i];
    if (type === IPOPT_EOL || type === IPOPT_NOP) {
      options.push({ type, data: EMPTY_BYTES });
      i++;
      if (type === IPOPT_EOL) break;
      continue;
    }
    if (i + 1 >= raw.length) return BAD_OPTION_LENGTH;
    const length = raw[i + 1];
    if (length < 2 || i + length > raw.length) return BAD_OPTION_LENGTH;
    options.push({ type, data: raw.subarray(i + 2, i + length) });
    i += length;
  }
  return { ok: true, options };
}

/** The route of a Record Route or source-route option (RFC 791 §3.1). */
export interface Ipv4Route {
  /** The Pointer octet as on the wire: 1-based, counted from the option's type octet; 4 when
   *  nothing is recorded yet. */
  readonly pointer: number;
  /** The addresses before the pointer: recorded so far (RR) or already visited (LSRR/SSRR). */
  readonly recorded: readonly Ipv4Address[];
  /** The addresses from the pointer on: free slots (RR) or hops still to visit (LSRR/SSRR). */
  readonly remaining: readonly Ipv4Address[];
}

/** The route carried by a Record Route, Loose or Strict Source Route option; undefined for other
 *  types or when the route data is not a whole number of addresses. */
export function ipv4Route(option: Ipv4Option): Ipv4Route | undefined {
  if (option.type !== IPOPT_RR && option.type !== IPOPT_LSRR && option.type !== IPOPT_SSRR) return undefined;
  const data = option.data;
  if (data.length < 1 || (data.length - 1) % 4 !== 0) return undefined;
  const pointer = data[0];
  // The pointer counts from the type octet: the first address is at octet 4 (data[1]).
  const recordedCount = Math.max(0, Math.min((data.length - 1) / 4, Math.floor((pointer - 4) / 4)));
  const recorded: Ipv4Address[] = [];
  const remaining: Ipv4Address[] = [];
  for (let k = 0, at = 1; at + 4 <= data.length; k++, at += 4) {
    (k < recordedCount ? recorded : remaining).push(ipv4AddressFromBytes(data, at));
  }
  return { pointer, recorded, remaining };
}
