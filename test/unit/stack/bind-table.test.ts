import { describe, expect, it } from 'vitest';
import { parseIpAddress, type IpAddress } from '../../../src/wire/address.js';
import { BindTable, type BindResult, type Binding } from '../../../src/stack/bind-table.js';
import { EphemeralPorts } from '../../../src/stack/ephemeral-ports.js';

const ip = (text: string): IpAddress => parseIpAddress(text)!;
const A = ip('10.0.0.1');
const B = ip('10.0.0.2');

function ok(result: BindResult): Binding {
  if (!result.ok) throw new Error(result.message);
  return result.binding;
}

function inUse(result: BindResult): string {
  expect(result.ok).toBe(false);
  if (result.ok) return '';
  expect(result.code).toBe('EADDRINUSE');
  return result.message;
}

describe('bind() conflicts (Linux inet_csk_bind_conflict)', () => {
  it('refuses a second bind of the same address and port', () => {
    const t = new BindTable();
    ok(t.bind({ address: A, port: 80 }));
    expect(inUse(t.bind({ address: A, port: 80 }))).toMatch(/port 80 is in use by a bound socket on 10\.0\.0\.1/);
  });

  it('a wildcard conflicts with a specific address and the other way round; distinct addresses do not', () => {
    const t = new BindTable();
    ok(t.bind({ address: A, port: 80 }));
    ok(t.bind({ address: B, port: 80 }));
    inUse(t.bind({ port: 80, family: 4 }));
    const u = new BindTable();
    ok(u.bind({ port: 81, family: 4 }));
    inUse(u.bind({ address: A, port: 81 }));
  });

  it('refuses a port held by a listener even with SO_REUSEADDR on both', () => {
    const t = new BindTable();
    const l = ok(t.bind({ port: 80, reuseAddress: true }));
    expect(t.listen(l)).toEqual({ ok: true });
    const msg = inUse(t.bind({ port: 80, reuseAddress: true }));
    expect(msg).toMatch(/listening socket on 0\.0\.0\.0: close that server/);
  });

  it('refuses a port held by a connection unless both have SO_REUSEADDR', () => {
    const t = new BindTable();
    t.addConnection(A, 80, false);
    inUse(t.bind({ port: 80, reuseAddress: true }));
    const u = new BindTable();
    u.addConnection(A, 80, true); // accepted from a listener that had SO_REUSEADDR
    inUse(u.bind({ port: 80 }));
    ok(u.bind({ port: 80, reuseAddress: true }));
  });

  it('lets two SO_REUSEADDR sockets bind, but only one of them listen', () => {
    const t = new BindTable();
    const x = ok(t.bind({ port: 80, reuseAddress: true }));
    const y = ok(t.bind({ port: 80, reuseAddress: true }));
    expect(t.listen(x).ok).toBe(true);
    const second = t.listen(y);
    expect(second.ok).toBe(false);
    if (!second.ok) expect(second.code).toBe('EADDRINUSE');
  });

  it('frees the port when the last holder goes', () => {
    const t = new BindTable();
    const x = ok(t.bind({ address: A, port: 80 }));
    t.release(x);
    expect(t.isHeld(80)).toBe(false);
    ok(t.bind({ address: A, port: 80 }));
  });
});

describe('SO_REUSEADDR and TIME-WAIT (the reuseaddr scenario)', () => {
  it('a TIME-WAIT entry on the port blocks bind() without SO_REUSEADDR', () => {
    const t = new BindTable();
    t.addTimeWait(A, 8080, true);
    expect(inUse(t.bind({ port: 8080 }))).toMatch(/1 connection in TIME-WAIT on 10\.0\.0\.1: set reuseAddress/);
  });

  it('with SO_REUSEADDR, bind() and listen() succeed when the only holders are TIME-WAIT entries of SO_REUSEADDR sockets', () => {
    const t = new BindTable();
    for (let i = 0; i < 3; i++) t.addTimeWait(A, 8080, true);
    const b = ok(t.bind({ port: 8080, reuseAddress: true }));
    expect(t.listen(b)).toEqual({ ok: true });
  });

  it('TIME-WAIT keeps its socket’s flag: one made without SO_REUSEADDR blocks even a SO_REUSEADDR bind', () => {
    const t = new BindTable();
    t.addTimeWait(A, 8080, false);
    expect(inUse(t.bind({ port: 8080, reuseAddress: true }))).toMatch(/must be set on the old socket too/);
  });

  it('the port is free again once TIME-WAIT ends', () => {
    const t = new BindTable();
    t.addTimeWait(A, 8080, false);
    t.addTimeWait(A, 8080, false);
    t.removeTimeWait(A, 8080, false);
    expect(t.timeWaitOn(8080)).toBe(1);
    t.removeTimeWait(A, 8080, false);
    expect(t.isHeld(8080)).toBe(false);
    ok(t.bind({ port: 8080 }));
  });

  it('a TIME-WAIT entry on another address does not block a specific bind', () => {
    const t = new BindTable();
    t.addTimeWait(A, 8080, false);
    ok(t.bind({ address: B, port: 8080 }));
    inUse(t.bind({ port: 8080 }));
  });
});

describe('IPv4 and IPv6', () => {
  it('a dual-stack [::] wildcard conflicts with 0.0.0.0 and with IPv4 addresses', () => {
    const t = new BindTable();
    ok(t.bind({ port: 80, family: 6 }));
    inUse(t.bind({ port: 80, family: 4 }));
    inUse(t.bind({ address: A, port: 80 }));
    inUse(t.bind({ address: ip('fd00::1'), port: 80 }));
  });

  it('a v6only [::] wildcard leaves IPv4 alone', () => {
    const t = new BindTable();
    ok(t.bind({ port: 80, family: 6, v6only: true }));
    ok(t.bind({ port: 80, family: 4 }));
    inUse(t.bind({ address: ip('fd00::1'), port: 80 }));
  });

  it('IPv4-mapped addresses count as IPv4; distinct IPv6 addresses do not conflict', () => {
    const t = new BindTable();
    ok(t.bind({ address: ip('::ffff:10.0.0.1'), port: 80 }));
    inUse(t.bind({ address: A, port: 80 }));
    ok(t.bind({ address: ip('fd00::1'), port: 80 }));
    ok(t.bind({ address: ip('fd00::2'), port: 80 }));
    inUse(t.bind({ port: 80, family: 6, v6only: true }));
  });
});

describe('ports for connect() and bind(0)', () => {
  it('marks ports created by bind() as off limits to connect(), not those created by connect()', () => {
    const t = new BindTable();
    ok(t.bind({ port: 40000 }));
    t.addConnection(A, 40001, false);
    expect(t.isBound(40000)).toBe(true);
    expect(t.isBound(40001)).toBe(false);
    expect(t.isBound(40002)).toBe(false);
  });

  it('bind(0) picks a port nobody holds, even under SO_REUSEADDR (no sharing)', () => {
    const ports = new EphemeralPorts({ ipLocalPortRange: [40000, 40003], secret: new Uint8Array(16), randomBelow: () => 0 });
    const t = new BindTable(ports);
    t.addTimeWait(A, 40001, true);
    ok(t.bind({ port: 40003, reuseAddress: true }));
    const got = [ok(t.bind({ port: 0, reuseAddress: true })).port, ok(t.bind({ port: 0, reuseAddress: true })).port].sort();
    expect(got).toEqual([40000, 40002]);
    const r = t.bind({ port: 0 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe('EADDRNOTAVAIL');
  });

  it('refuses bad ports', () => {
    expect(() => new BindTable().bind({ port: 70000 })).toThrow(RangeError);
  });
});
