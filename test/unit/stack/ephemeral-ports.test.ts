import { describe, expect, it } from 'vitest';
import { parseIpAddress, type IpAddress } from '../../../src/wire/address.js';
import { DEFAULT_IP_LOCAL_PORT_RANGE, EphemeralPorts, type ConnectPortQuery } from '../../../src/stack/ephemeral-ports.js';

const ip = (text: string): IpAddress => parseIpAddress(text)!;
const local = ip('10.0.0.1');
const server = ip('10.0.0.2');
const secret = Uint8Array.from({ length: 16 }, (_, i) => i);

/** A deterministic generator (xorshift32), so that port sequences are reproducible. */
function seeded(seed = 1): (bound: number) => number {
  let x = seed;
  return (bound) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % bound;
  };
}

/** The connections of a stack as a set of 4-tuple keys. */
function connections(): { used: Set<string>; query: (remote: IpAddress, port: number) => ConnectPortQuery } {
  const used = new Set<string>();
  return {
    used,
    query: (remote, rport) => ({ isInUse: (p) => used.has(`${String(remote)}|${rport}|${p}`) }),
  };
}

describe('connect() port selection (RFC 6056 Algorithm 4, Linux __inet_hash_connect)', () => {
  it('uses ip_local_port_range 32768–60999 by default', () => {
    expect(DEFAULT_IP_LOCAL_PORT_RANGE).toEqual([32768, 60999]);
    const ports = new EphemeralPorts({ secret, randomBelow: seeded() });
    const c = connections();
    for (let i = 0; i < 200; i++) {
      const r = ports.connectPort(local, server, 80, c.query(server, 80));
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.port).toBeGreaterThanOrEqual(32768);
      expect(r.port).toBeLessThanOrEqual(60999);
      c.used.add(`${String(server)}|80|${r.port}`);
    }
  });

  it('prefers ports of the low end’s parity (even by default) until they run out, then the others', () => {
    const ports = new EphemeralPorts({ ipLocalPortRange: [40000, 40019], secret, randomBelow: seeded(7) });
    const c = connections();
    const chosen: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = ports.connectPort(local, server, 80, c.query(server, 80));
      if (!r.ok) throw new Error(r.message);
      chosen.push(r.port);
      c.used.add(`${String(server)}|80|${r.port}`);
    }
    expect(chosen.slice(0, 10).every((p) => p % 2 === 0)).toBe(true);
    expect(chosen.slice(10).every((p) => p % 2 === 1)).toBe(true);
    expect(new Set(chosen).size).toBe(20);
  });

  it('is unique per 4-tuple: the same port serves another destination', () => {
    const ports = new EphemeralPorts({ ipLocalPortRange: [40000, 40001], secret, randomBelow: seeded() });
    const c = connections();
    const take = (remote: IpAddress, rport: number): number => {
      const r = ports.connectPort(local, remote, rport, c.query(remote, rport));
      if (!r.ok) throw new Error(r.message);
      c.used.add(`${String(remote)}|${rport}|${r.port}`);
      return r.port;
    };
    const a = [take(server, 80), take(server, 80)].sort();
    expect(a).toEqual([40000, 40001]);
    const b = [take(server, 443), take(server, 443)].sort();
    expect(b).toEqual([40000, 40001]);
    const third = ports.connectPort(local, server, 80, c.query(server, 80));
    expect(third.ok).toBe(false);
  });

  it('fails with EADDRNOTAVAIL and says what to do when every port toward the destination is used', () => {
    const ports = new EphemeralPorts({ ipLocalPortRange: [50000, 50009], secret, randomBelow: seeded() });
    const c = connections();
    for (let i = 0; i < 10; i++) {
      const r = ports.connectPort(local, server, 80, c.query(server, 80));
      if (!r.ok) throw new Error(r.message);
      c.used.add(`${String(server)}|80|${r.port}`);
    }
    const r = ports.connectPort(local, server, 80, c.query(server, 80));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe('EADDRNOTAVAIL');
    expect(r.message).toMatch(/10\.0\.0\.2:80/);
    expect(r.message).toMatch(/widen ipLocalPortRange/i);
    expect(r.message).toMatch(/tcpTwReuse/);
    expect(r.message).toMatch(/wait for TIME-WAIT/);
  });

  it('takes a TIME-WAIT 4-tuple only when the caller says it may be reused', () => {
    const ports = new EphemeralPorts({ ipLocalPortRange: [50000, 50001], secret, randomBelow: seeded() });
    const all: ConnectPortQuery = { isInUse: () => true };
    expect(ports.connectPort(local, server, 80, all).ok).toBe(false);
    const r = ports.connectPort(local, server, 80, { isInUse: () => true, mayReuseTimeWait: (p) => p === 50001 });
    expect(r).toEqual({ ok: true, port: 50001, reusesTimeWait: true });
  });

  it('skips ports held by bind()/listen() and reserved ports', () => {
    const ports = new EphemeralPorts({ ipLocalPortRange: [50000, 50003], ipLocalReservedPorts: new Set([50002]), secret, randomBelow: seeded() });
    const got = new Set<number>();
    const used = new Set<number>();
    for (let i = 0; i < 2; i++) {
      const r = ports.connectPort(local, server, 80, { isBound: (p) => p === 50000, isInUse: (p) => used.has(p) });
      if (!r.ok) throw new Error(r.message);
      got.add(r.port);
      used.add(r.port);
    }
    expect([...got].sort()).toEqual([50001, 50003]);
    expect(ports.connectPort(local, server, 80, { isBound: (p) => p === 50000, isInUse: (p) => used.has(p) }).ok).toBe(false);
  });

  it('mirrors Linux’s quirk for an odd-sized range: the walk covers size − 1 ports', () => {
    const ports = new EphemeralPorts({ ipLocalPortRange: [50000, 50002], secret, randomBelow: seeded(3) });
    const used = new Set<number>();
    for (let i = 0; i < 2; i++) {
      const r = ports.connectPort(local, server, 80, { isInUse: (p) => used.has(p) });
      if (!r.ok) throw new Error(r.message);
      used.add(r.port);
    }
    expect(ports.connectPort(local, server, 80, { isInUse: (p) => used.has(p) }).ok).toBe(false);
  });

  it('starts different destinations at unrelated ports (keyed hash offset)', () => {
    const ports = new EphemeralPorts({ secret, randomBelow: seeded() });
    const first = new Set<number>();
    for (let p = 1; p <= 50; p++) {
      const r = ports.connectPort(local, server, p, { isInUse: () => false });
      if (r.ok) first.add(r.port);
    }
    expect(first.size).toBeGreaterThan(45);
  });

  it('works for IPv6', () => {
    const ports = new EphemeralPorts({ ipLocalPortRange: [50000, 50001], secret, randomBelow: seeded() });
    const r = ports.connectPort(ip('fd00::1'), ip('fd00::2'), 80, { isInUse: () => false });
    expect(r.ok && r.port >= 50000 && r.port <= 50001).toBe(true);
  });

  it('refuses a bad range', () => {
    expect(() => new EphemeralPorts({ ipLocalPortRange: [60000, 50000] })).toThrow(RangeError);
    expect(() => new EphemeralPorts({ ipLocalPortRange: [0, 10] })).toThrow(RangeError);
  });
});

describe('bind(0) port selection (Linux inet_csk_find_open_port)', () => {
  it('prefers the parity opposite to connect()’s (odd by default)', () => {
    const ports = new EphemeralPorts({ ipLocalPortRange: [40000, 40009], secret, randomBelow: seeded(5) });
    const used = new Set<number>();
    const chosen: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = ports.bindPort((p) => !used.has(p));
      if (!r.ok) throw new Error(r.message);
      chosen.push(r.port);
      used.add(r.port);
    }
    expect(chosen.slice(0, 5).every((p) => p % 2 === 1)).toBe(true);
    expect(chosen.slice(5).every((p) => p % 2 === 0)).toBe(true);
    const r = ports.bindPort((p) => !used.has(p));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe('EADDRNOTAVAIL');
  });

  it('with SO_REUSEADDR tries the lower half of the range first', () => {
    const ports = new EphemeralPorts({ ipLocalPortRange: [40000, 40099], secret, randomBelow: seeded(9) });
    for (let i = 0; i < 20; i++) {
      const r = ports.bindPort(() => true, true);
      expect(r.ok && r.port < 40050).toBe(true);
    }
    const upper = ports.bindPort((p) => p >= 40050, true);
    expect(upper.ok && upper.port >= 40050).toBe(true);
  });
});
