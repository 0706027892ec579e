// The guard of test/unit/no-network.ts: a unit test that reaches for the real network fails
// at once. The real connect is swapped for a recorder here, so even a broken guard sends
// nothing.
import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { isLoopbackTarget, refusals, withUnderlyingConnect } from './no-network.js';

function recorder(): { calls: unknown[][]; fake: typeof net.Socket.prototype.connect } {
  const calls: unknown[][] = [];
  const fake = function (this: net.Socket, ...args: unknown[]) {
    calls.push(args);
    return this;
  } as unknown as typeof net.Socket.prototype.connect;
  return { calls, fake };
}

describe('unit tests are cut off from the real network', () => {
  it('knows loopback from the rest', () => {
    expect(['127.0.0.1', '127.9.9.9', '::1', 'localhost', undefined].map(isLoopbackTarget)).toEqual([true, true, true, true, true]);
    expect(['10.0.0.2', '192.0.2.1', 'fd00::2', 'example.com', '0.0.0.1'].map(isLoopbackTarget)).toEqual([false, false, false, false, false]);
  });

  it('refuses net.connect to a non-loopback address in every call form', () => {
    const { calls, fake } = recorder();
    withUnderlyingConnect(fake, () => {
      expect(() => net.connect({ host: '10.0.0.2', port: 80 })).toThrow(/must not open real network connections/);
      expect(() => net.connect(80, '192.0.2.1')).toThrow(/must not open real network connections/);
      expect(() => new net.Socket().connect({ host: 'fd00::2', port: 80 })).toThrow(/must not open real network connections/);
      net.connect({ host: '127.0.0.1', port: 80 }).on('error', () => undefined);
    });
    expect(calls).toHaveLength(1);
  });

  it('refuses an http.request that would use Node\'s own agent', async () => {
    const { calls, fake } = recorder();
    const before = refusals;
    const error = await withUnderlyingConnect(fake, () => new Promise<unknown>((resolve) => {
      try {
        const req = http.request({ host: '10.0.0.2', port: 80, agent: false });
        req.on('error', resolve);
        req.end();
      } catch (err) {
        resolve(err);
      }
    }));
    // The agent turns the guard's exception into its own error; the guard was hit all the same.
    expect(error).toBeInstanceOf(Error);
    expect(refusals).toBe(before + 1);
    expect(calls).toHaveLength(0);
  });
});
