// What every scenario returns: the checks it made and the capture it left.

export interface Check {
  /** What was expected, in words a reader of the timeline understands. */
  readonly what: string;
  readonly ok: boolean;
  /** What was seen. */
  readonly detail: string;
}

export interface ScenarioResult {
  readonly name: string;
  readonly ok: boolean;
  readonly checks: readonly Check[];
  /** Every packet that crossed the TUN device, as tcpdump prints it. */
  readonly timeline: readonly string[];
  readonly capture: string | undefined;
  readonly durationMs: number;
}

export interface ScenarioOptions {
  /** Where to write the capture; undefined for none. */
  pcap?: string;
  /** Called with each line of the timeline as it happens. */
  onLine?: (line: string) => void;
}
