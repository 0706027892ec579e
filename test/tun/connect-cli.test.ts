// `tcplab connect` as a user runs it: a request to a kernel server in its namespace, its
// answer on stdout, tcplab's states on stderr through TIME-WAIT to CLOSED, and the namespace
// gone afterwards; a refused connection exits 1 with Node's code; a fixed 4-tuple is blocked
// by TIME-WAIT.
import { execFile } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeTun } from './harness.js';

const CLI = join(import.meta.dirname, '../..', 'dist/src/cli/main.js');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'connect', ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function namespaceOf(stderr: string): string {
  const m = /network namespace (\S+);/.exec(stderr);
  if (!m) throw new Error(`no namespace named in:\n${stderr}`);
  return m[1];
}

describeTun('tcplab connect', () => {
  it('sends a request to a kernel http server, prints the answer, waits out TIME-WAIT, removes its namespace', async () => {
    const r = await run(['10.77.0.1:8080', '--kernel-server', 'http', '--send', 'GET / HTTP/1.0\\r\\n\\r\\n', '--msl', '300']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^HTTP\/1\.0 200 OK\r\n[\s\S]*\r\n\r\nhello from the kernel\n$/);
    expect(r.stderr).toMatch(/CLOSED → SYN-SENT \(connect\)/);
    expect(r.stderr).toMatch(/SYN-SENT → ESTABLISHED \(syn-ack\)/);
    expect(r.stderr).toMatch(/→ TIME-WAIT/);
    expect(r.stderr).toMatch(/TIME-WAIT → CLOSED \(timeout\)/);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(namespaceOf(r.stderr));
  });

  it('exits 1 with ECONNREFUSED when nothing listens', async () => {
    const r = await run(['10.77.0.1:81', '--send', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/connect ECONNREFUSED 10\.77\.0\.1:81/);
    expect(r.stderr).toMatch(/SYN-SENT → CLOSED \(rst\)/);
  });

  it('a fixed local port: the next connection fails with EADDRNOTAVAIL while TIME-WAIT holds the 4-tuple', async () => {
    const r = await run(['10.77.0.1:9', '--kernel-server', 'discard', '--send', 'x', '--count', '2', '--local-port', '40000', '--msl', '300']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/connect EADDRNOTAVAIL 10\.77\.0\.1:9/);
    expect(r.stderr.match(/→ TIME-WAIT/g)).toHaveLength(1);
  });
});
