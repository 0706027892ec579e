// The kernel's own MIB counters inside a namespace (/proc/net/snmp and /proc/net/netstat read
// from a process in that namespace), under the names `nstat` prints: IpInHdrErrors,
// TcpInCsumErrors, TcpExtTCPChallengeACK...
import type { Netns } from '../../src/lab/netns.js';

export type KernelCounters = Record<string, number>;

/** Parse the header/value line pairs of /proc/net/snmp and /proc/net/netstat. */
export function parseProcNet(text: string): KernelCounters {
  const counters: KernelCounters = {};
  const lines = text.split('\n').filter((l) => l.includes(':'));
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const [prefix, names] = splitOnce(lines[i]!);
    const [prefix2, values] = splitOnce(lines[i + 1]!);
    if (prefix !== prefix2) {
      i -= 1; // out of step: resynchronise on the next line
      continue;
    }
    const n = names.trim().split(/\s+/);
    const v = values.trim().split(/\s+/);
    n.forEach((name, k) => {
      const value = Number(v[k]);
      if (Number.isFinite(value)) counters[`${prefix}${name}`] = value;
    });
  }
  return counters;
}

function splitOnce(line: string): [string, string] {
  const at = line.indexOf(':');
  return [line.slice(0, at), line.slice(at + 1)];
}

/** /proc/net/snmp6: one `Name value` pair a line. */
export function parseSnmp6(text: string): KernelCounters {
  const counters: KernelCounters = {};
  for (const line of text.split('\n')) {
    const [name, value] = line.trim().split(/\s+/);
    if (name && value !== undefined && Number.isFinite(Number(value))) counters[name] = Number(value);
  }
  return counters;
}

/** Every IPv4, IPv6 and TCP counter of the namespace's kernel. */
export async function kernelCounters(ns: Netns): Promise<KernelCounters> {
  const [v4, v6] = await Promise.all([ns.run(['cat', '/proc/net/snmp', '/proc/net/netstat']), ns.run(['cat', '/proc/net/snmp6'])]);
  return { ...parseProcNet(v4), ...parseSnmp6(v6) };
}

/** after − before, for the counters that moved. */
export function counterDelta(before: KernelCounters, after: KernelCounters): KernelCounters {
  const moved: KernelCounters = {};
  for (const [name, value] of Object.entries(after)) {
    const d = value - (before[name] ?? 0);
    if (d !== 0) moved[name] = d;
  }
  return moved;
}

/**
 * The kernel counters a corrupted IPv4/TCP packet can end up in, each at most once per packet:
 * a bad IPv4 header checksum (IpExtInCsumErrors, which Linux counts with IpInHdrErrors: only the
 * latter is summed), a bad header (IpInHdrErrors), a length past the bytes
 * (IpExtInTruncatedPkts), an address not ours, an unknown protocol, a bad TCP checksum or data
 * offset (TcpInErrs), an IPv6 packet on a device without IPv6 (Ip6InDiscards).
 */
export const KERNEL_DROP_COUNTERS = [
  'IpInHdrErrors',
  'IpExtInTruncatedPkts',
  'IpInAddrErrors',
  'IpInUnknownProtos',
  // TCP checksum errors and data offsets below 5 (bad_packet); TcpInCsumErrors is a part of it.
  'TcpInErrs',
  // A flipped version nibble that reads 6 sends the packet to IPv6 (off on the device).
  'Ip6InDiscards',
  'Ip6InHdrErrors',
  'Ip6InTruncatedPkts',
] as const;
