// Runs one scenario: a private namespace with tcplab and the kernel on a TUN device, a
// capture, a kernel peer, a watch on the kernel's sockets and on tcplab's connections; then
// the checks, and cleanup whatever happened.
import { formatIpAddress } from '../wire/address.js';
import { formatPacket, IPPROTO_TCP, parsePacket } from '../wire/index.js';
import { TCP_FIN, TCP_RST, TCP_SYN } from '../wire/tcp.js';
import type { TcpEvent } from '../tcp/events.js';
import type { Endpoint } from '../tcp/outgoing-segment.js';
import { ControlServer } from '../inspect/control-server.js';
import { KernelPeer } from './kernel-peer.js';
import { KernelWatch } from './kernel-watch.js';
import { openLabHost, type LabHostOptions, type ScenarioHost } from './lab-host.js';
import { openMemoryLabHost } from './memory-host.js';
import type { Peer } from './peer-api.js';
import { StackPeer } from './stack-peer.js';
import type { Check, KernelStateSeen, ScenarioContext, ScenarioDefinition, ScenarioOptions, ScenarioResult, ScenarioTimers, TcplabStateChange } from './scenario.js';
import { countdownText } from './countdown.js';
import { Timeline } from './timeline.js';

/** Linux's timers, and the shortened ones of --quick. */
export function scenarioTimers(options: ScenarioOptions): ScenarioTimers {
  const quick = options.quick ?? false;
  return {
    msl: options.msl ?? (quick ? 1_000 : 30_000),
    tcpFinTimeout: quick ? 3_000 : 60_000,
    tcpSynRetries: quick ? 2 : 6,
  };
}

function endpointText(e: Endpoint): string {
  const a = formatIpAddress(e.address);
  return a.includes(':') ? `[${a}]:${e.port}` : `${a}:${e.port}`;
}

export async function runScenario(def: ScenarioDefinition, options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const started = performance.now();
  const timers = scenarioTimers(options);
  const checks: Check[] = [];
  const ourStates = new Set<string>();
  // Both ends' state changes, kept for the state diagram (src/lab/scenario-diagram.ts).
  const stateChanges: TcplabStateChange[] = [];
  const kernelChanges: KernelStateSeen[] = [];
  const sinceStart = (): number => performance.now() - started;
  const stamp = (): string => `+${((performance.now() - started) / 1000).toFixed(3).padStart(7)}s`;
  const timeline = new Timeline(stamp, options.onLine);
  const memory = options.link === 'memory';
  // Over the in-memory link the other end is a second tcplab stack, and the timeline says so.
  const them = memory ? 'peer' : 'kernel';
  const line = (text: string): void => timeline.add(text);
  const packetLine = (packet: Uint8Array, direction: 'in' | 'out'): void => {
    const parsed = parsePacket(packet);
    const tcp = parsed.ok && parsed.l4.protocol === IPPROTO_TCP ? parsed.l4 : undefined;
    const bulk = tcp !== undefined && (tcp.flags & (TCP_SYN | TCP_FIN | TCP_RST)) === 0;
    timeline.packet(`${direction === 'out' ? `tcplab → ${them}` : `${them} → tcplab`}  ${formatPacket(parsed)}`, bulk, tcp?.payload.length ?? 0);
  };

  let host: ScenarioHost | undefined;
  let peer: Peer | undefined;
  let kernel: KernelWatch | undefined;
  let error: string | undefined;
  let statusTimer: ReturnType<typeof setInterval> | undefined;
  let control: ControlServer | undefined;
  try {
    const hostOptions: LabHostOptions = {
      pcap: options.pcap,
      pcapSnapLength: def.captureSnapLength,
      // Packet control for the scenarios that lose or delay one segment on purpose.
      faults: {
        seed: 1,
        onRuleApplied: (rule, packet, direction) => {
          const action = rule.action;
          // Recording a packet as it passes changes nothing on the wire.
          if (action.kind === 'record') return;
          const what = action.kind === 'drop' ? '✂ dropped' : action.kind === 'delay' ? `⧗ delayed ${action.ms} ms` : action.kind === 'hold' ? '⏸ held back' : '⧉ duplicated';
          line(`${what} (${direction === 'out' ? `tcplab → ${them}` : `${them} → tcplab`})  ${formatPacket(parsePacket(packet))}`);
        },
        onReleased: (packet, direction) => line(`▶ released (${direction === 'out' ? `tcplab → ${them}` : `${them} → tcplab`})  ${formatPacket(parsePacket(packet))}`),
        onInjected: (packet, direction) => {
          const parsed = parsePacket(packet);
          timeline.packet(`${direction === 'out' ? `tcplab → ${them}` : `${them} → tcplab`}  ↯ injected  ${formatPacket(parsed)}`, false, 0);
        },
      },
      onPacket: packetLine,
      stack: {
        tcp: { msl: timers.msl, tcpFinTimeout: timers.tcpFinTimeout, tcpSynRetries: timers.tcpSynRetries },
        events: (event: TcpEvent, local: Endpoint, remote: Endpoint) => {
          if (event.type !== 'state') return;
          ourStates.add(event.to);
          stateChanges.push({ ...event, local: endpointText(local), remote: endpointText(remote), t: sinceStart() });
          line(`tcplab  ${endpointText(local)} ⇄ ${endpointText(remote)}  ${event.from} → ${event.to} (${event.cause})`);
        },
        ...(def.stack?.(timers) ?? {}),
      },
    };
    const onKernelChange = (c: { local: string; peer: string; from: string | undefined; to: string; row: { timer?: { name: string; time: string; count: number } } }): void => {
      kernelChanges.push({ local: c.local, peer: c.peer, from: c.from, to: c.to, t: sinceStart() });
      line(`${them}  ${c.local} ⇄ ${c.peer}  ${c.from ?? '·'} → ${c.to}${c.row.timer ? `  timer:(${c.row.timer.name},${c.row.timer.time},${c.row.timer.count})` : ''}`);
    };
    if (memory) {
      // The peer runs with the scenario's timers, as the kernel does through its sysctls.
      const m = openMemoryLabHost(hostOptions, { msl: timers.msl, tcpFinTimeout: timers.tcpFinTimeout, tcpSynRetries: timers.tcpSynRetries });
      host = m;
      const stackPeer = new StackPeer(m.peerNet);
      peer = stackPeer;
      kernel = new KernelWatch(stackPeer.rows(), def.ports, onKernelChange);
    } else {
      const h = openLabHost(hostOptions);
      host = h;
      for (const sysctl of def.sysctls?.(timers) ?? []) await h.ns.run(['sysctl', '-qw', sysctl]);
      peer = await KernelPeer.start(h.ns);
      kernel = new KernelWatch(h.ns, def.ports, onKernelChange);
    }
    const h = host;
    if (options.onStatus) {
      const onStatus = options.onStatus;
      statusTimer = setInterval(() => onStatus(countdownText(h.net.stack.tcp.sockets(h.net.now()), h.net.now())), 250);
    }
    // `tcplab ss`, `nstat` and `trace` from another terminal reach the scenario's stack.
    control = await ControlServer.start({ name: options.controlName ?? 'scenario', stack: h.net.stack, now: () => h.net.now() }).catch(() => undefined);
    kernel.start();
    const k = kernel;
    const ctx: ScenarioContext = {
      host: h,
      peer,
      kernel: k,
      timers,
      quick: options.quick ?? false,
      note: (text) => line(`·  ${text}`),
      check: (what, ok, detail) => {
        checks.push({ what, ok, detail });
        line(`${ok ? 'ok  ' : 'FAIL'}  ${what}: ${detail}`);
      },
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      async until(what, cond, timeoutMs = 10_000) {
        const deadline = performance.now() + timeoutMs;
        for (;;) {
          if (await cond()) return;
          if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      },
      tcplabStates: () => new Set(ourStates),
    };
    await def.run(ctx);
    await k.poll();
  } catch (err) {
    error = (err as Error).message;
    checks.push({ what: `${def.name} ran to its end`, ok: false, detail: error });
    line(`FAIL  ${error}`);
  } finally {
    clearInterval(statusTimer);
    await control?.close();
    await kernel?.stop();
    await peer?.stop();
    host?.close();
    timeline.flush();
  }
  const kernelStates = kernel ? [...kernel.statesSeen()] : [];
  const kernelSocketsAtEnd = kernel ? kernel.rows.map((r) => `${r.local} ${r.peer}`) : [];
  for (const state of def.expect.tcplab) {
    checks.push({ what: `tcplab reached ${state}`, ok: ourStates.has(state), detail: ourStates.has(state) ? 'seen in its state changes' : `only ${[...ourStates].join(', ') || 'nothing'}` });
  }
  for (const state of def.expect.kernel) {
    const seen = kernelStates.includes(state);
    checks.push({ what: `the ${them} reached ${state}`, ok: seen, detail: seen ? 'seen in ss -tan' : `ss showed ${kernelStates.join(', ') || 'nothing'}` });
  }
  return {
    name: def.name,
    link: memory ? 'memory' : 'tun',
    ok: checks.every((c) => c.ok),
    checks,
    tcplabStates: [...ourStates],
    kernelStates,
    stateChanges,
    kernelChanges,
    kernelSocketsAtEnd,
    timeline: timeline.lines,
    packets: timeline.packets,
    capture: options.pcap,
    durationMs: performance.now() - started,
    ...(error ? { error } : {}),
  };
}

