/**
 * IPv4 and IPv6 addresses: text ⇄ value, CIDR prefixes, equality and map keys.
 *
 * Representation, chosen for the per-packet path:
 * - an IPv4 address is a plain number, the 32 bits as an unsigned integer (10.0.0.1 = 0x0a000001):
 *   reading it from a header allocates nothing and it is its own map key;
 * - an IPv6 address is a 16-byte `Uint8Array`. Parsed headers hand out views into the packet, so
 *   **copy (`copyIpAddress`) before keeping one** past the packet's lifetime: the link layer reuses
 *   its receive buffers.
 *
 * Text parsers return `undefined` on bad input; they never throw.
 */

export type Ipv4Address = number;
export type Ipv6Address = Uint8Array;
export type IpAddress = Ipv4Address | Ipv6Address;
export type IpFamily = 4 | 6;

export function ipFamily(address: IpAddress): IpFamily {
  return typeof address === 'number' ? 4 : 6;
}

// ---------------------------------------------------------------------------------------------
// IPv4 text

/**
 * Dotted-decimal `a.b.c.d`, as inet_pton(AF_INET) accepts it: exactly four decimal parts 0..255,
 * no leading zeros (so `010.0.0.1` is refused rather than read as octal, as inet_aton would).
 */
export function parseIpv4Address(text: string): Ipv4Address | undefined {
  let value = 0;
  let parts = 0;
  let i = 0;
  const n = text.length;
  while (parts < 4) {
    const start = i;
    let part = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      part = part * 10 + (c - 0x30);
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || part > 255) return undefined;
    if (digits > 1 && text.charCodeAt(start) === 0x30) return undefined;
    value = value * 256 + part;
    parts++;
    if (parts < 4) {
      if (i >= n || text.charCodeAt(i) !== 0x2e /* . */) return undefined;
      i++;
    }
  }
  return i === n ? value : undefined;
}

export function formatIpv4Address(address: Ipv4Address): string {
  return `${address >>> 24}.${(address >>> 16) & 0xff}.${(address >>> 8) & 0xff}.${address & 0xff}`;
}

export function ipv4AddressFromBytes(b: Uint8Array, offset = 0): Ipv4Address {
  return ((b[offset] << 24) | (b[offset + 1] << 16) | (b[offset + 2] << 8) | b[offset + 3]) >>> 0;
}

export function ipv4AddressToBytes(address: Ipv4Address, out = new Uint8Array(4), offset = 0): Uint8Array {
  out[offset] = address >>> 24;
  out[offset + 1] = address >>> 16;
  out[offset + 2] = address >>> 8;
  out[offset + 3] = address;
  return out;
}

// ---------------------------------------------------------------------------------------------
// IPv6 text

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** Parses one side of `::` (possibly empty) into 16-bit groups; the last piece of the whole
 *  address may be a dotted IPv4 address (RFC 4291 §2.2 form 3). Returns false on bad syntax. */
function parseGroups(text: string, groups: number[], allowIpv4Tail: boolean): boolean {
  if (text.length === 0) return true;
  const pieces = text.split(':');
  for (let p = 0; p < pieces.length; p++) {
    const piece = pieces[p];
    if (allowIpv4Tail && p === pieces.length - 1 && piece.includes('.')) {
      const v4 = parseIpv4Address(piece);
      if (v4 === undefined) return false;
      groups.push(v4 >>> 16, v4 & 0xffff);
      continue;
    }
    if (piece.length === 0 || piece.length > 4) return false;
    let group = 0;
    for (let i = 0; i < piece.length; i++) {
      const d = hexDigit(piece.charCodeAt(i));
      if (d < 0) return false;
      group = (group << 4) | d;
    }
    groups.push(group);
  }
  return true;
}

/**
 * RFC 4291 §2.2 text forms: eight hex groups, `::` for one or more zero groups, and a dotted IPv4
 * tail (`::ffff:10.0.0.1`). Zone indices (`fe80::1%eth0`) are refused: a zone is not part of the
 * address on the wire.
 */
export function parseIpv6Address(text: string): Ipv6Address | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const gap = text.indexOf('::');
  const head: number[] = [];
  const tail: number[] = [];
  if (gap < 0) {
    if (!parseGroups(text, head, true) || head.length !== 8) return undefined;
  } else {
    if (text.indexOf('::', gap + 1) >= 0) return undefined; // RFC 4291: "::" can appear only once
    const left = text.slice(0, gap);
    const right = text.slice(gap + 2);
    if (!parseGroups(left, head, false) || !parseGroups(right, tail, true)) return undefined;
    if (head.length + tail.length > 7) return undefined; // "::" stands for at least one group
  }
  const out = new Uint8Array(16);
  for (let g = 0; g < head.length; g++) {
    out[2 * g] = head[g] >>> 8;
    out[2 * g + 1] = head[g];
  }
  const base = 8 - tail.length;
  for (let g = 0; g < tail.length; g++) {
    out[2 * (base + g)] = tail[g] >>> 8;
    out[2 * (base + g) + 1] = tail[g];
  }
  return out;
}

/** True for ::ffff:0:0/96, the IPv4-mapped addresses (RFC 4291 §2.5.5.2). */
export function isIpv4MappedAddress(address: Ipv6Address): boolean {
  for (let i = 0; i < 10; i++) if (address[i] !== 0) return false;
  return address[10] === 0xff && address[11] === 0xff;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address, or undefined if it is not one. */
export function ipv4FromMappedAddress(address: Ipv6Address): Ipv4Address | undefined {
  return isIpv4MappedAddress(address) ? ipv4AddressFromBytes(address, 12) : undefined;
}

export function ipv4MappedAddress(address: Ipv4Address): Ipv6Address {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  ipv4AddressToBytes(address, out, 12);
  return out;
}

/**
 * RFC 5952 canonical text: lowercase hex (§4.3), no leading zeros (§4.1), the longest run of two or
 * more zero groups shortened to `::`, the first one on a tie (§4.2.1-3), and IPv4-mapped addresses
 * in mixed notation `::ffff:192.0.2.1` (§5).
 */
export function formatIpv6Address(address: Ipv6Address): string {
  if (isIpv4MappedAddress(address)) return `::ffff:${formatIpv4Address(ipv4AddressFromBytes(address, 12))}`;
  let bestStart = -1;
  let bestLength = 1; // RFC 5952 §4.2.2: a single zero group is not shortened
  for (let g = 0; g < 8; ) {
    if (address[2 * g] === 0 && address[2 * g + 1] === 0) {
      let end = g;
      while (end < 8 && address[2 * end] === 0 && address[2 * end + 1] === 0) end++;
      if (end - g > bestLength) {
        bestStart = g;
        bestLength = end - g;
      }
      g = end;
    } else {
      g++;
    }
  }
  let text = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      text += '::';
      g += bestLength - 1;
      continue;
    }
    if (text.length > 0 && !text.endsWith(':')) text += ':';
    text += ((address[2 * g] << 8) | address[2 * g + 1]).toString(16);
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Either family

/** Either family's text form: a `:` means IPv6, since it never appears in IPv4 text. */
export function parseIpAddress(text: string): IpAddress | undefined {
  return text.includes(':') ? parseIpv6Address(text) : parseIpv4Address(text);
}

export function formatIpAddress(address: IpAddress): string {
  return typeof address === 'number' ? formatIpv4Address(address) : formatIpv6Address(address);
}

export function ipEquals(a: IpAddress, b: IpAddress): boolean {
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  if (a.length !== 16 || b.length !== 16) return false;
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A value usable as a `Map` key or in a string key: the number itself for IPv4, and for IPv6 an
 * 8-character string holding the eight 16-bit groups as UTF-16 code units (compact, not for
 * display). The two families cannot collide: one is a number, the other a string.
 */
export function ipKey(address: IpAddress): number | string {
  if (typeof address === 'number') return address;
  const a = address;
  return String.fromCharCode(
    (a[0] << 8) | a[1], (a[2] << 8) | a[3], (a[4] << 8) | a[5], (a[6] << 8) | a[7],
    (a[8] << 8) | a[9], (a[10] << 8) | a[11], (a[12] << 8) | a[13], (a[14] << 8) | a[15],
  );
}

/** An IPv6 address detached from the packet it was read from; IPv4 numbers are returned as is. */
export function copyIpAddress<A extends IpAddress>(address: A): A {
  return (typeof address === 'number' ? address : address.slice()) as A;
}

// ---------------------------------------------------------------------------------------------
// CIDR (RFC 4632 §3.1 for IPv4, RFC 4291 §2.3 for IPv6)

export interface Cidr {
  /** The address as written: an interface address keeps its host bits (`10.0.0.1/24`). */
  readonly address: IpAddress;
  readonly prefixLength: number;
}

export type CidrResult = ({ readonly ok: true } & Cidr) | { readonly ok: false; readonly error: string };

/** `address/prefix-length`, e.g. `10.0.0.1/24` or `fd00::1/64`. The error text is for humans
 *  (the CLI prints it), so it says what was expected. */
export function parseCidr(text: string): CidrResult {
  const slash = text.indexOf('/');
  if (slash < 0) return { ok: false, error: `expected ADDRESS/PREFIX-LENGTH (e.g. 10.0.0.1/24), got "${text}"` };
  const address = parseIpAddress(text.slice(0, slash));
  if (address === undefined) return { ok: false, error: `"${text.slice(0, slash)}" is not an IPv4 or IPv6 address` };
  const max = typeof address === 'number' ? 32 : 128;
  const digits = text.slice(slash + 1);
  const prefixLength = /^(0|[1-9][0-9]{0,2})$/.test(digits) ? Number(digits) : NaN;
  if (!(prefixLength <= max)) return { ok: false, error: `prefix length must be 0..${max}, got "${digits}"` };
  return { ok: true, address, prefixLength };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIpAddress(cidr.address)}/${cidr.prefixLength}`;
}

/** Whether `address` lies in the prefix (same family, same first `prefixLength` bits). */
export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  const net = cidr.address;
  const bits = cidr.prefixLength;
  if (typeof net === 'number' || typeof address === 'number') {
    if (typeof net !== 'number' || typeof address !== 'number') return false;
    if (bits === 0) return true;
    const mask = (0xffffffff << (32 - bits)) >>> 0;
    return ((net & mask) >>> 0) === ((address & mask) >>> 0);
  }
  const whole = bits >>> 3;
  for (let i = 0; i < whole; i++) if (net[i] !== address[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (net[whole] & mask) === (address[whole] & mask);
}
