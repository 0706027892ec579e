// The must-show picture: `tcplab scenario time-wait --quick --pcap` writes, beside its capture,
// the state diagram of the connection that went through TIME-WAIT, valid SVG, tcplab's path
// through TIME-WAIT from its engine's events and the kernel's through LAST-ACK from ss.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { elements, parseSvg, withClass } from '../unit/inspect/diagram/svg-check.js';
import { describeTun } from './harness.js';

const CLI = join(import.meta.dirname, '../../dist/src/cli/main.js');

describeTun('the state diagram of a scenario', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcplab-scenario-svg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('time-wait: <scenario>.svg shows TIME-WAIT on tcplab’s path and LAST-ACK on the kernel’s', () => {
    const pcap = join(dir, 'time-wait.pcap');
    const out = execFileSync(process.execPath, [CLI, 'scenario', 'time-wait', '--quick', '--pcap', pcap], { encoding: 'utf8', timeout: 50_000 });
    const svgFile = join(dir, 'time-wait.svg');
    expect(out).toContain(`state diagram: ${svgFile}`);
    expect(existsSync(svgFile)).toBe(true);
    const doc = parseSvg(readFileSync(svgFile, 'utf8'));
    const box = (state: string) => elements(doc, 'g').find((g) => g.getAttribute('data-box') === state)!;
    expect(box('TIME-WAIT').getAttribute('class')).toContain('visited-a');
    expect(box('LAST-ACK').getAttribute('class')).toContain('visited-b');
    const ours = withClass(doc, 'g', 'taken-edge', 'end-a').map((g) => `${g.getAttribute('data-from')}>${g.getAttribute('data-to')}:${g.getAttribute('data-cause')}`);
    expect(ours).toEqual(['CLOSED>SYN-SENT:connect', 'SYN-SENT>ESTABLISHED:syn-ack', 'ESTABLISHED>FIN-WAIT-1:close', 'FIN-WAIT-1>FIN-WAIT-2:ack', 'FIN-WAIT-2>TIME-WAIT:fin', 'TIME-WAIT>CLOSED:timeout']);
    const theirs = withClass(doc, 'g', 'taken-edge', 'end-b').map((g) => g.getAttribute('data-to'));
    expect(theirs).toContain('CLOSE-WAIT');
    expect(theirs).toContain('LAST-ACK');
  }, 60_000);
});
