// tcplab run by an ordinary user (uid 65534): it re-runs itself inside a user namespace of its
// own (unshare -rn), where each scenario's namespace is an anonymous one held by a process,
// and the scenario passes with the kernel as the peer. Where the kernel refuses unprivileged
// user namespaces, it must say so in one plain line and exit 1 instead. With no usable TUN
// device at all, the tour says so and runs what needs no kernel over the in-memory link.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describeTun } from './harness.js';

const ROOT = join(import.meta.dirname, '../..');
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

describeTun('tcplab as an ordinary user', () => {
  // The checkout may not be readable by other users (e.g. under /root): run a copy of what
  // the command needs from a directory everyone can read.
  const copy = mkdtempSync(join(tmpdir(), 'tcplab-unpriv-'));
  afterAll(() => rmSync(copy, { recursive: true, force: true }));
  for (const part of ['package.json', 'binding.gyp', 'dist/src', 'build/Release/tcplab_tun.node', 'src/lab/peer', 'node_modules/commander']) {
    cpSync(join(ROOT, part), join(copy, part), { recursive: true });
  }
  execFileSync('chmod', ['-R', 'a+rX', copy]);
  chmodSync(copy, 0o755);
  const cli = join(copy, 'dist/src/cli/main.js');

  it('re-runs itself in a user namespace and passes a scenario against the kernel, or says plainly why it cannot', () => {
    const userns = spawnSync('setpriv', [...NOBODY, 'unshare', '-rn', 'true']).status === 0;
    const r = spawnSync('setpriv', [...NOBODY, process.execPath, cli, 'scenario', 'handshake', '--quick', '--json'], {
      encoding: 'utf8',
      cwd: copy,
      env: { ...process.env, HOME: copy },
      timeout: 60_000,
    });
    if (userns) {
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain('not root: running inside a user namespace of its own (unshare -rn)');
      const result = JSON.parse(r.stdout) as { ok: boolean; tcplabStates: string[]; kernelStates: string[] };
      expect(result.ok).toBe(true);
      expect(result.tcplabStates).toEqual(expect.arrayContaining(['SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED']));
      expect(result.kernelStates).toContain('ESTAB');
    } else {
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toMatch(/^tcplab: cannot run here: not root, and this kernel refuses unprivileged user namespaces/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('without a usable /dev/net/tun the tour says why and runs the scenarios that need no kernel, tcplab at both ends', () => {
    // Take the device away for real: in a private mount namespace an unreadable file is
    // bind-mounted over /dev/net/tun (the host's device is untouched).
    const masked = join(copy, 'no-tun');
    writeFileSync(masked, '');
    chmodSync(masked, 0);
    const captures = join(copy, 'captures');
    const script = `mount --bind ${masked} /dev/net/tun && exec setpriv ${NOBODY.join(' ')} ${process.execPath} ${cli} tour --quick --only handshake,closing,ping --captures ${captures}`;
    execFileSync('chmod', ['a+rwx', copy]);
    const r = spawnSync('unshare', ['-m', 'sh', '-c', script], { encoding: 'utf8', cwd: copy, env: { ...process.env, HOME: copy }, timeout: 60_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('tcplab: no kernel peer here: no readable and writable /dev/net/tun');
    expect(r.stdout).toContain('Skipped without the kernel: ping (runs ping in the namespace).');
    expect(r.stdout).toMatch(/== handshake[\s\S]*→ passed[\s\S]*== closing[\s\S]*→ passed/);
    expect(r.stdout).toMatch(/CLOSING\s+yes\s+yes/);
    expect(r.stdout).toContain('2 of 2 scenarios passed.');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
