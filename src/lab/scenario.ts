// What a scenario is, what it is given while it runs, and what it returns.
import type { KernelWatch } from './kernel-watch.js';
import type { ScenarioHost } from './lab-host.js';
import type { Peer } from './peer-api.js';
import type { StateChangeEvent } from '../tcp/events.js';

export interface Check {
  /** What was expected, in words a reader of the timeline understands. */
  readonly what: string;
  readonly ok: boolean;
  /** What was seen. */
  readonly detail: string;
}

/** One of tcplab's state changes as a trace line (the engine's event, `at` on the stack's
 *  clock, with its endpoints), plus `t`: milliseconds since the scenario started. */
export interface TcplabStateChange extends StateChangeEvent {
  readonly local: string;
  readonly remote: string;
  readonly t: number;
}

/** A kernel socket seen in a new state by `ss -tan` (names as ss prints them), `t` ms since the
 *  scenario started. */
export interface KernelStateSeen {
  readonly local: string;
  readonly peer: string;
  readonly from: string | undefined;
  readonly to: string;
  readonly t: number;
}

export interface ScenarioResult {
  readonly name: string;
  /** 'tun': against the Linux kernel; 'memory': against a second tcplab stack (no privileges). */
  readonly link: 'tun' | 'memory';
  readonly ok: boolean;
  readonly checks: readonly Check[];
  /** States reached on each side (tcplab's as RFC 9293 names them, the kernel's as ss does). */
  readonly tcplabStates: readonly string[];
  readonly kernelStates: readonly string[];
  /** Both ends' state changes, for the state diagram (src/lab/scenario-diagram.ts). */
  readonly stateChanges: readonly TcplabStateChange[];
  readonly kernelChanges: readonly KernelStateSeen[];
  /** The kernel's sockets (`local peer`) still in ss at the scenario's last look. */
  readonly kernelSocketsAtEnd: readonly string[];
  /** Packets and state changes, in order, with their time since the start. */
  readonly timeline: readonly string[];
  /** Packets that crossed the TUN device (the capture holds them all; the timeline folds runs
   *  of plain data and ACKs). */
  readonly packets: number;
  readonly capture: string | undefined;
  readonly durationMs: number;
  /** Set when the scenario could not run at all (it failed before its checks). */
  readonly error?: string;
}

export interface ScenarioOptions {
  /** Where to write the capture; undefined for none. */
  pcap?: string;
  /** Called with each line of the timeline as it happens. */
  onLine?: (line: string) => void;
  /** Called a few times a second while the scenario runs, with what its timers are waiting for
   *  (e.g. "TIME-WAIT ends in 42 s"), for a live status line. */
  onStatus?: (countdown: string) => void;
  /** Shorten the long timers: MSL 1 s, FIN timeout 3 s, 2 SYN retries (SYNs at 0-5 s, fail at 7 s). */
  quick?: boolean;
  /** Maximum segment lifetime for tcplab (TIME-WAIT = 2 × msl). */
  msl?: number;
  /** 'tun' (default): the kernel in a private namespace; 'memory': a second tcplab stack in
   *  Linux's defaults over an in-memory link, where no TUN device or namespace can be had. */
  link?: 'tun' | 'memory';
  /** The name `tcplab ss --name` knows the running scenario by (default 'scenario'). */
  controlName?: string;
}

/** Timers of a run: Linux's, or the shortened ones of --quick. */
export interface ScenarioTimers {
  readonly msl: number;
  readonly tcpFinTimeout: number;
  readonly tcpSynRetries: number;
}

export interface ScenarioContext {
  readonly host: ScenarioHost;
  readonly peer: Peer;
  readonly kernel: KernelWatch;
  readonly timers: ScenarioTimers;
  readonly quick: boolean;
  /** Adds a line to the timeline. */
  note(text: string): void;
  /** Records a check (the scenario goes on either way). */
  check(what: string, ok: boolean, detail: string): void;
  sleep(ms: number): Promise<void>;
  /** Resolves when `cond` holds, polling; rejects with `what` after `timeoutMs`. */
  until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
  /** States tcplab's connections have reached so far. */
  tcplabStates(): Set<string>;
}

export interface ScenarioDefinition {
  readonly name: string;
  readonly summary: string;
  /** The states the scenario must reach on each side (DESIGN.md's table). */
  readonly expect: { readonly tcplab: readonly string[]; readonly kernel: readonly string[] };
  /** Ports whose sockets the kernel watch follows. */
  readonly ports: readonly number[];
  /** tcplab stack options beyond the timers (e.g. a small ipLocalPortRange). */
  readonly stack?: (timers: ScenarioTimers) => Record<string, unknown>;
  /** Bytes kept of each packet in the capture (default: all); a bulk scenario keeps headers. */
  readonly captureSnapLength?: number;
  /** Why the scenario needs the real kernel (e.g. it runs curl in the namespace): it is skipped
   *  over the in-memory link. */
  readonly needsKernel?: string;
  /** Kernel sysctls to set in the namespace before it runs (e.g. tcp_syn_retries); over the
   *  in-memory link the peer stack runs with the scenario's timers instead. */
  readonly sysctls?: (timers: ScenarioTimers) => readonly string[];
  run(ctx: ScenarioContext): Promise<void>;
}
