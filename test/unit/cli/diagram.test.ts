// `tcplab diagram`: each verb writes a valid SVG from the fixture trace or capture, picks the
// busiest connection and lists the others, and says plainly what is wrong with bad input.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { diagramCommand } from '../../../src/cli/diagram.js';
import { parseSvg, withClass } from '../inspect/diagram/svg-check.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/diagram');
const TRACE = join(FIXTURES, 'transfer.trace.jsonl');
const PCAP = join(FIXTURES, 'transfer.pcap');

/** Runs `tcplab diagram ARGS` in this process; `fail()`'s exit becomes a thrown error. */
async function run(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  vi.spyOn(process, 'exit').mockImplementation((code) => {
    throw new Error(`exit ${code}: ${stderr}`);
  });
  await diagramCommand().exitOverride().parseAsync(args, { from: 'user' });
  return { stdout, stderr };
}

describe('tcplab diagram', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcplab-diagram-'));
  afterEach(() => vi.restoreAllMocks());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('states: the busiest connection of a trace, with its peer when the trace has both ends', async () => {
    const out = join(dir, 'states.svg');
    const { stdout, stderr } = await run('states', '--trace', TRACE, '-o', out);
    expect(stdout).toBe(`wrote ${out}\n`);
    // Two ends in the trace: the busiest is drawn, both are listed.
    expect(stderr).toMatch(/has 2 connections; drawing the busiest, 10\.77\.0\.2:\d+-10\.77\.0\.1:5001/);
    const doc = parseSvg(readFileSync(out, 'utf8'));
    expect(withClass(doc, 'g', 'taken-edge', 'end-a').length).toBe(6);
    expect(withClass(doc, 'g', 'taken-edge', 'end-b').length).toBe(5);
  });

  it('states --conn picks the other end by one port', async () => {
    const out = join(dir, 'server.svg');
    await run('states', '--trace', TRACE, '--conn', '10.77.0.1:5001-', '-o', out);
    const doc = parseSvg(readFileSync(out, 'utf8'));
    expect(withClass(doc, 'g', 'taken-edge', 'end-a').map((g) => g.getAttribute('data-to'))).toEqual(['SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSED']);
  });

  it('tsg: the data direction of the busiest connection in a capture', async () => {
    const out = join(dir, 'tsg.svg');
    await run('tsg', '--pcap', PCAP, '-o', out);
    const doc = parseSvg(readFileSync(out, 'utf8'));
    expect(withClass(doc, 'path', 'data').length).toBeGreaterThan(80);
    const back = join(dir, 'tsg-back.svg');
    await run('tsg', '--pcap', PCAP, '--direction', '10.77.0.1:5001', '-o', back);
    expect(withClass(parseSvg(readFileSync(back, 'utf8')), 'path', 'data')).toHaveLength(0);
  });

  it('cwnd: the connection with the most congestion events, the sender', async () => {
    const out = join(dir, 'cwnd.svg');
    const { stderr } = await run('cwnd', '--trace', TRACE, '-o', out);
    expect(stderr).toMatch(/drawing the busiest, 10\.77\.0\.2:\d+-10\.77\.0\.1:5001/);
    const doc = parseSvg(readFileSync(out, 'utf8'));
    expect(withClass(doc, 'path', 'cwnd')).toHaveLength(1);
    expect(withClass(doc, 'g', 'retransmission').length).toBeGreaterThan(2);
  });

  it('says what is wrong: a missing file, a file that is not a capture, an unknown or ambiguous connection', async () => {
    await expect(run('states', '--trace', join(dir, 'nope.jsonl'), '-o', join(dir, 'x.svg'))).rejects.toThrow(/exit 1: tcplab: .*nope\.jsonl: no such file/);
    await expect(run('tsg', '--pcap', TRACE, '-o', join(dir, 'x.svg'))).rejects.toThrow(/not a pcap file/);
    await expect(run('states', '--trace', TRACE, '--conn', '9999', '-o', join(dir, 'x.svg'))).rejects.toThrow(/no such connection .* it has:\n {2}10\.77\.0\.2:\d+-10\.77\.0\.1:5001/);
    await expect(run('states', '--trace', TRACE, '--conn', '10.77.0', '-o', join(dir, 'x.svg'))).rejects.toThrow(/matches 2 connections/);
    const junk = join(dir, 'junk.jsonl');
    writeFileSync(junk, 'not json\n{"type":"future-event","at":1}\n');
    await expect(run('states', '--trace', junk, '-o', join(dir, 'x.svg'))).rejects.toThrow(/1 line\(s\) are not trace events[\s\S]*no trace events in it/);
  });
});
