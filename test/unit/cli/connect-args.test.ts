// The arguments of `tcplab connect`: HOST:PORT in both families, and --send's escapes.
import { describe, expect, it } from 'vitest';
import { parseTarget, unescapeSend } from '../../../src/cli/connect.js';

describe('tcplab connect arguments', () => {
  it('parses IPv4 and bracketed IPv6 targets', () => {
    expect(parseTarget('10.77.0.1:8080')).toEqual({ host: '10.77.0.1', port: 8080 });
    expect(parseTarget('[fd00:77::1]:80')).toEqual({ host: 'fd00:77::1', port: 80 });
  });

  it('refuses what is not HOST:PORT, saying what it wants', () => {
    for (const bad of ['10.77.0.1', '10.77.0.1:0', '10.77.0.1:65536', 'fd00::1:80', ':80', '10.77.0.1:http']) {
      expect(() => parseTarget(bad), bad).toThrow(/is not HOST:PORT \(e\.g\. 10\.77\.0\.1:8080/);
    }
  });

  it('turns \\r \\n \\t \\\\ and \\xHH into bytes and leaves other backslashes alone', () => {
    expect(unescapeSend('GET / HTTP/1.0\\r\\n\\r\\n').toString()).toBe('GET / HTTP/1.0\r\n\r\n');
    expect([...unescapeSend('\\x00\\xff\\t\\\\')]).toEqual([0, 255, 9, 92]);
    expect(unescapeSend('a\\qb\\').toString()).toBe('a\\qb\\');
    expect(unescapeSend('héllo').toString()).toBe('héllo');
  });
});
