// Every scenario tcplab can run, in tour order.
import type { ScenarioOptions, ScenarioResult } from '../scenario.js';
import { runPing } from './ping.js';

export interface ScenarioEntry {
  readonly name: string;
  readonly summary: string;
  readonly run: (options: ScenarioOptions) => Promise<ScenarioResult>;
}

export const SCENARIOS: readonly ScenarioEntry[] = [
  {
    name: 'ping',
    summary: 'the kernel pings tcplab (IPv4 and IPv6) and connects to a closed port (RST, ECONNREFUSED)',
    run: runPing,
  },
];
