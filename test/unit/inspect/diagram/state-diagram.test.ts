// The state diagram: RFC 9293 Figure 5 drawn whole, the path each end took drawn over it, from
// a trace of two tcplab stacks and from real scenario runs (tcplab's engine events and the
// kernel's ss observations, recorded in test/fixtures/diagram/).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stateDiagramSvg } from '../../../../src/inspect/diagram/state-diagram.js';
import { FIGURE_EDGES, figurePath, routeOf } from '../../../../src/inspect/diagram/state-figure.js';
import { pathFromEvents, pathFromObservations } from '../../../../src/inspect/diagram/state-path.js';
import { parseTrace, traceConnections } from '../../../../src/inspect/diagram/trace-lines.js';
import { scenarioDiagramSvg, scenarioStatePaths } from '../../../../src/lab/scenario-diagram.js';
import type { ScenarioResult } from '../../../../src/lab/scenario.js';
import { SCENARIOS } from '../../../../src/lab/scenarios/index.js';
import type { StateChangeEvent } from '../../../../src/tcp/events.js';
import { elements, parseSvg, textOf, withClass } from './svg-check.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/diagram');
const result = (name: string): ScenarioResult => JSON.parse(readFileSync(join(FIXTURES, `${name}.result.json`), 'utf8')) as ScenarioResult;
const scenario = (name: string) => SCENARIOS.find((s) => s.name === name)!;
const stateBox = (doc: ReturnType<typeof parseSvg>, state: string) => elements(doc, 'g').filter((g) => g.getAttribute('data-box') === state)[0];

describe('the RFC 9293 state diagram', () => {
  it('draws every transition of Figure 5 with its event / action label, and the eleven states', () => {
    const doc = parseSvg(stateDiagramSvg({ title: 'empty', paths: [] }));
    const edges = withClass(doc, 'g', 'figure-edge');
    // 20 transitions in the figure; note 2's FIN-WAIT-1 → TIME-WAIT only when taken.
    expect(edges).toHaveLength(FIGURE_EDGES.filter((e) => !e.note).length);
    expect(edges).toHaveLength(20);
    const labels = edges.map((e) => withClassIn(e, 'edge-label').join(' '));
    for (const label of ['passive OPEN / create TCB', 'active OPEN / create TCB, snd SYN', 'rcv SYN / snd SYN,ACK', 'SEND / snd SYN', 'rcv SYN,ACK / snd ACK', 'rcv ACK of SYN / x', 'rcv RST (note 1)', 'CLOSE / snd FIN', 'rcv FIN / snd ACK', 'rcv ACK of FIN / x', 'CLOSE / delete TCB', 'Timeout=2MSL / delete TCB']) {
      expect(labels, label).toContain(label);
    }
    const states = new Set(elements(doc, 'g').map((g) => g.getAttribute('data-state')).filter(Boolean));
    expect([...states].sort()).toEqual(['CLOSE-WAIT', 'CLOSED', 'CLOSING', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'LAST-ACK', 'LISTEN', 'SYN-RECEIVED', 'SYN-SENT', 'TIME-WAIT']);
    expect(withClass(doc, 'g', 'taken-edge')).toHaveLength(0);
  });

  it('draws both ends of a traced connection: an edge per transition with its cause, numbered, TIME-WAIT highlighted', () => {
    const trace = parseTrace(readFileSync(join(FIXTURES, 'transfer.trace.jsonl'), 'utf8'));
    const [client, server] = traceConnections(trace.lines);
    const events = (c: typeof client) => c.lines.filter((l): l is typeof l & StateChangeEvent => l.type === 'state');
    const svg = stateDiagramSvg({
      title: 'transfer',
      paths: [
        { name: 'tcplab', endpoint: client.local, source: 'trace', steps: pathFromEvents(events(client)) },
        { name: 'peer', endpoint: server.local, source: 'trace', steps: pathFromEvents(events(server)) },
      ],
    });
    const doc = parseSvg(svg);
    const taken = withClass(doc, 'g', 'taken-edge', 'end-a');
    expect(taken.map((g) => `${g.getAttribute('data-from')}>${g.getAttribute('data-to')}:${g.getAttribute('data-cause')}`)).toEqual([
      'CLOSED>SYN-SENT:connect',
      'SYN-SENT>ESTABLISHED:syn-ack',
      'ESTABLISHED>FIN-WAIT-1:close',
      'FIN-WAIT-1>FIN-WAIT-2:ack',
      'FIN-WAIT-2>TIME-WAIT:fin',
      'TIME-WAIT>CLOSED:timeout',
    ]);
    const steps = withClass(doc, 'g', 'step', 'end-a');
    expect(steps.map((g) => g.getAttribute('data-step'))).toEqual(['1', '2', '3', '4', '5', '6']);
    // Each cause is written beside its badge.
    for (const [i, cause] of ['connect', 'syn-ack', 'close', 'ack', 'fin', 'timeout'].entries()) expect(elements(steps[i], 'text').map(textOf)).toContain(cause);
    expect(withClass(doc, 'g', 'taken-edge', 'end-b').map((g) => g.getAttribute('data-to'))).toEqual(['SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSED']);
    // TIME-WAIT: tcplab's ring, and the 60 s it spent there written in the box.
    const tw = stateBox(doc, 'TIME-WAIT');
    expect(tw.getAttribute('class')).toContain('visited-a');
    expect(textOf(tw)).toContain('60 s');
    // Every transition here is one of the figure's: none dashed.
    expect(withClass(doc, 'g', 'taken-edge', 'linux')).toHaveLength(0);
    // The panel lists the steps with their times: TIME-WAIT ends 60 s after it began.
    const texts = elements(doc, 'text').map(textOf);
    expect(texts).toContain('+1.035 s');
    expect(texts).toContain('+61.03 s');
  });

  it('keeps the figure’s routes for the figure’s transitions and Linux’s routes for the others', () => {
    expect(routeOf('TIME-WAIT', 'CLOSED', 'timeout').figure?.event).toBe('Timeout=2MSL');
    expect(routeOf('TIME-WAIT', 'CLOSED', 'rst').figure).toBeUndefined();
    expect(routeOf('ESTABLISHED', 'CLOSED', 'rst').figure).toBeUndefined();
    expect(routeOf('FIN-WAIT-2', 'CLOSED', 'fin-timeout').to).toBe('CLOSED-END');
    expect(routeOf('SYN-RECEIVED', 'CLOSED', 'timeout').to).toBe('CLOSED');
    expect(routeOf('SYN-SENT', 'CLOSED', 'timeout').figure).toBeUndefined();
    expect(routeOf('SYN-SENT', 'CLOSED', 'close').figure?.event).toBe('CLOSE');
    // The kernel's steps have no cause: the pair of states decides.
    expect(routeOf('LAST-ACK', 'CLOSED').figure?.event).toBe('rcv ACK of FIN');
  });

  it('fills the states ss missed with the likeliest way through the figure', () => {
    expect(figurePath('LISTEN', 'ESTABLISHED')).toEqual(['LISTEN', 'SYN-RECEIVED', 'ESTABLISHED']);
    expect(figurePath('CLOSED', 'ESTABLISHED')).toEqual(['CLOSED', 'SYN-SENT', 'ESTABLISHED']);
    expect(figurePath('SYN-RECEIVED', 'FIN-WAIT-1')).toEqual(['SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1']);
    expect(figurePath('ESTABLISHED', 'LAST-ACK')).toEqual(['ESTABLISHED', 'CLOSE-WAIT', 'LAST-ACK']);
    expect(figurePath('TIME-WAIT', 'ESTABLISHED')).toBeUndefined();
    const steps = pathFromObservations(
      [
        { state: 'SYN-RECV', at: 10 },
        { state: 'CLOSE-WAIT', at: 20 },
      ],
      { fromListener: true, stillThere: false },
    );
    expect(steps.map((s) => `${s.from}>${s.to}:${s.kind}`)).toEqual([
      'LISTEN>SYN-RECEIVED:observed',
      'SYN-RECEIVED>ESTABLISHED:inferred',
      'ESTABLISHED>CLOSE-WAIT:observed',
      'CLOSE-WAIT>CLOSED:vanished',
    ]);
    expect(pathFromObservations([{ state: 'ESTAB', at: 1 }], { fromListener: false, stillThere: true }).map((s) => s.to)).toEqual(['SYN-SENT', 'ESTABLISHED']);
  });

  it('time-wait scenario (recorded run): tcplab through TIME-WAIT from its events, the kernel through LAST-ACK from ss', () => {
    const doc = parseSvg(scenarioDiagramSvg(scenario('time-wait'), result('time-wait'))!);
    expect(stateBox(doc, 'TIME-WAIT').getAttribute('class')).toContain('visited-a');
    expect(stateBox(doc, 'LAST-ACK').getAttribute('class')).toContain('visited-b');
    const tcplab = withClass(doc, 'g', 'taken-edge', 'end-a').map((g) => `${g.getAttribute('data-from')}>${g.getAttribute('data-to')}`);
    expect(tcplab).toContain('FIN-WAIT-2>TIME-WAIT');
    expect(tcplab).toContain('TIME-WAIT>CLOSED');
    // The kernel's socket left ss after LAST-ACK: it went to CLOSED, drawn on the figure's edge.
    const kernel = withClass(doc, 'g', 'taken-edge', 'end-b');
    expect(kernel.map((g) => `${g.getAttribute('data-from')}>${g.getAttribute('data-to')}`).slice(-2)).toEqual(['CLOSE-WAIT>LAST-ACK', 'LAST-ACK>CLOSED']);
    expect(kernel[kernel.length - 1].getAttribute('class')).toContain('vanished');
  });

  it('closing scenario (recorded run): both ends through CLOSING into TIME-WAIT, side by side; states ss missed dotted', () => {
    const doc = parseSvg(scenarioDiagramSvg(scenario('closing'), result('closing'))!);
    for (const state of ['CLOSING', 'TIME-WAIT']) {
      const cls = stateBox(doc, state).getAttribute('class')!;
      expect(cls, state).toContain('visited-a');
      expect(cls, state).toContain('visited-b');
    }
    const inferred = withClass(doc, 'g', 'taken-edge', 'end-b', 'inferred');
    expect(inferred.length).toBeGreaterThan(0);
    for (const g of inferred) expect(elements(g, 'path')[0].getAttribute('stroke-dasharray')).toBeTruthy();
  });

  it('reset scenario (recorded run): an abort outside Figure 5 is drawn dashed and labelled', () => {
    const paths = scenarioStatePaths(scenario('reset'), result('reset'))!;
    expect(paths[0].steps.map((s) => s.cause)).toEqual(['syn', 'ack', 'abort']);
    const doc = parseSvg(scenarioDiagramSvg(scenario('reset'), result('reset'))!);
    const abort = withClass(doc, 'g', 'taken-edge', 'end-a', 'linux');
    expect(abort.map((g) => g.getAttribute('data-cause'))).toEqual(['abort']);
    expect(elements(abort[0], 'path')[0].getAttribute('stroke-dasharray')).toBe('7 5');
    expect(elements(doc, 'text').map(textOf)).toContain('not in Figure 5');
    // The kernel's socket just left ss: how it got to CLOSED was not seen, so it is dotted.
    const gone = withClass(doc, 'g', 'taken-edge', 'end-b', 'vanished');
    expect(gone.map((g) => g.getAttribute('data-from'))).toEqual(['ESTABLISHED']);
    expect(elements(gone[0], 'path')[0].getAttribute('stroke-dasharray')).toBe('1.5 5');
  });

  it('escapes whatever the input holds', () => {
    const svg = stateDiagramSvg({
      title: '<script>alert("x")</script> & \u0001',
      subtitle: "it's <b>",
      paths: [{ name: 'a&b', endpoint: '[fd00::1]:80', source: '<ss>', steps: [{ from: 'CLOSED', to: 'SYN-SENT', cause: '<rst & "x">', at: 0, kind: 'event' }] }],
    });
    const doc = parseSvg(svg);
    expect(elements(doc, 'script')).toHaveLength(0);
    expect(elements(doc, 'text').map(textOf)).toContain('<rst & "x">');
  });
});

function withClassIn(e: ReturnType<typeof withClass>[number], cls: string): string[] {
  return elements(e, 'text').filter((t) => (t.getAttribute('class') ?? '').split(' ').includes(cls)).map(textOf);
}
