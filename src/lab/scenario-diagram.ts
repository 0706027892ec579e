// The picture of a scenario: the state diagram of its most telling connection, tcplab's path
// from its engine's state events and the kernel's from what ss showed, written beside the
// capture as <scenario>.svg.
import { writeFileSync } from 'node:fs';
import { pathFromEvents, pathFromObservations, type StatePath } from '../inspect/diagram/state-path.js';
import { stateDiagramSvg } from '../inspect/diagram/state-diagram.js';
import type { KernelStateSeen, ScenarioDefinition, ScenarioResult, TcplabStateChange } from './scenario.js';

/** ss prints an IPv4 peer of a dual-stack socket as [::ffff:10.77.0.2]:5004. */
function plainEndpoint(endpoint: string): string {
  return endpoint.replace(/^\[::ffff:(\d+\.\d+\.\d+\.\d+)\]/, '$1');
}

function portOf(endpoint: string): string {
  return endpoint.slice(endpoint.lastIndexOf(':') + 1);
}

interface Candidate {
  readonly local: string;
  readonly remote: string;
  readonly events: TcplabStateChange[];
  readonly kernel: KernelStateSeen[];
  readonly kernelKey: string | undefined;
}

/** tcplab's connections with the kernel socket at their other end, if ss saw it. */
function candidates(result: ScenarioResult): Candidate[] {
  const byConnection = new Map<string, TcplabStateChange[]>();
  for (const e of result.stateChanges) {
    const key = `${e.local} ${e.remote}`;
    byConnection.set(key, [...(byConnection.get(key) ?? []), e]);
  }
  return [...byConnection.values()].map((events) => {
    const { local, remote } = events[0];
    const kernel = result.kernelChanges.filter((c) => plainEndpoint(c.local) === remote && plainEndpoint(c.peer) === local);
    return { local, remote, events, kernel, kernelKey: kernel.length > 0 ? `${kernel[0].local} ${kernel[0].peer}` : undefined };
  });
}

/** How well a connection shows what the scenario is about: the expected states it reached on
 *  each side first, then how much happened to it. */
function score(def: Pick<ScenarioDefinition, 'expect'>, c: Candidate): number {
  const ours = new Set(c.events.flatMap((e) => [e.from, e.to]));
  const theirs = new Set(c.kernel.map((k) => k.to));
  const expected = def.expect.tcplab.filter((s) => ours.has(s as never)).length + def.expect.kernel.filter((s) => theirs.has(s)).length;
  return expected * 1000 + c.events.length + c.kernel.length;
}

/** Both ends' paths for the scenario's most telling connection, or undefined when tcplab had
 *  no connection at all. */
export function scenarioStatePaths(def: Pick<ScenarioDefinition, 'expect'>, result: ScenarioResult): StatePath[] | undefined {
  const all = candidates(result);
  if (all.length === 0) return undefined;
  const best = all.reduce((a, b) => (score(def, b) > score(def, a) ? b : a));
  const paths: StatePath[] = [
    {
      name: 'tcplab',
      endpoint: best.local,
      source: 'its engine’s state events',
      steps: pathFromEvents(best.events.map((e) => ({ ...e, at: e.t }))),
    },
  ];
  if (best.kernelKey !== undefined) {
    const kernelLocal = best.kernel[0].local;
    const fromListener = result.kernelChanges.some((c) => c.to === 'LISTEN' && c.peer.endsWith(':*') && portOf(c.local) === portOf(kernelLocal));
    paths.push({
      // Over the in-memory link the other end is a second tcplab stack, not Linux.
      name: result.link === 'memory' ? 'peer (tcplab)' : 'Linux',
      endpoint: plainEndpoint(kernelLocal),
      source: result.link === 'memory' ? "the second stack's socket table, polled every 15 ms" : 'ss -tan in the namespace, polled every 15 ms',
      steps: pathFromObservations(
        best.kernel.map((k) => ({ state: k.to, at: k.t })),
        { fromListener, stillThere: result.kernelSocketsAtEnd.includes(best.kernelKey) },
      ),
    });
  }
  return paths;
}

/** The scenario's state diagram as SVG, or undefined when it had no TCP connection. */
export function scenarioDiagramSvg(def: Pick<ScenarioDefinition, 'name' | 'summary' | 'expect'>, result: ScenarioResult): string | undefined {
  const paths = scenarioStatePaths(def, result);
  if (!paths) return undefined;
  return stateDiagramSvg({
    title: def.name,
    subtitle: def.summary,
    paths,
    clockNote: 'Times since the scenario started. The kernel’s are when ss showed a change: a state shorter than one poll can be missed, and is then drawn dotted where the diagram says it must have been.',
  });
}

/** Writes the scenario's state diagram to `file`; false when there was nothing to draw. */
export function writeScenarioDiagram(def: Pick<ScenarioDefinition, 'name' | 'summary' | 'expect'>, result: ScenarioResult, file: string): boolean {
  const svg = scenarioDiagramSvg(def, result);
  if (svg === undefined) return false;
  writeFileSync(file, svg);
  return true;
}
