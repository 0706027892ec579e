// Fault injection as a link layer: netem is not available on these machines, so tcplab
// impairs its own traffic. Wrapped around any link, it applies per direction random
// loss, duplication, reordering, delay with jitter, corruption and a bandwidth limit,
// from a seeded generator so that every run can be replayed; and targeted rules that
// match one packet (direction, TCP flags, sequence number, ports, length) and drop,
// delay or duplicate it once or N times, which the scenarios use to lose exactly the
// segment an experiment is about.
//
// Directions are tcplab's: 'out' is what the stack sends, 'in' is what it receives.
import { IPPROTO_TCP } from '../wire/ip-protocol.js';
import { parsePacket, type Packet } from '../wire/packet.js';
import { formatTcpFlags } from '../wire/format.js';
import type { Link, PacketBatch } from './link.js';
import { SeededRandom } from './random.js';

export type Direction = 'in' | 'out';

export interface Impairment {
  /** Probability each packet is lost. */
  loss?: number;
  /** Probability each packet is sent twice. */
  duplicate?: number;
  /** Probability a packet is held back and delivered after the one behind it. */
  reorder?: number;
  /** Most time a held-back packet waits for one to overtake it (default 20 ms). */
  reorderHoldMs?: number;
  /** Probability one random bit of the packet is flipped. */
  corrupt?: number;
  /** Added one-way delay, and uniform jitter ± around it (reordering can follow from jitter). */
  delayMs?: number;
  jitterMs?: number;
  /** Bandwidth limit in bits per second: packets queue behind each other. */
  rateBps?: number;
  /** With a rate limit: packets that would wait longer than this are dropped (default 100 ms). */
  queueLimitMs?: number;
}

/** Which packets a rule applies to. Every given field must match. */
export interface PacketMatch {
  /** TCP flags exactly as tcpdump prints them: 'S', 'S.', '.', 'P.', 'F.', 'R', 'R.'. */
  flags?: string;
  /** TCP sequence number. */
  seq?: number;
  /** TCP ack number. */
  ack?: number;
  srcPort?: number;
  dstPort?: number;
  /** TCP payload length. */
  dataLength?: number;
  /** Anything else. */
  where?: (packet: Packet) => boolean;
}

/** drop it; delay it; send extra copies; let it through and keep a copy (`record`), to be
 *  sent again later with `inject` (an old duplicate that turns up long after); or hold it back
 *  until the rule's `release()` (two segments made to cross, whatever the timing). */
export type RuleAction = { kind: 'drop' } | { kind: 'delay'; ms: number } | { kind: 'duplicate'; copies?: number } | { kind: 'record' } | { kind: 'hold' };

export interface PacketRule {
  direction: Direction | 'both';
  match: PacketMatch;
  action: RuleAction;
  /** How many matching packets it acts on (default 1; Infinity for all). */
  times?: number;
  /** Matching packets to let through untouched before acting (default 0). */
  skip?: number;
}

/** A rule in force: how often it matched and acted. */
export interface RuleHandle {
  readonly rule: PacketRule;
  readonly matched: number;
  readonly applied: number;
  /** Copies of the packets a `record` rule let through, oldest first. */
  readonly recorded: readonly Uint8Array[];
  /** Packets a `hold` rule is holding back. */
  readonly holding: number;
  /** Let the held packets go on, in the order they came (past any impairment); returns how
   *  many. The rule keeps acting on later packets until removed. */
  release(): number;
  remove(): void;
}

export interface FaultStats {
  passed: number;
  lost: number;
  duplicated: number;
  reordered: number;
  corrupted: number;
  delayed: number;
  rateDropped: number;
  ruleDropped: number;
  ruleHeld: number;
}

export interface FaultLinkOptions {
  seed?: number;
  in?: Impairment;
  out?: Impairment;
  rules?: PacketRule[];
  /** Run `fn` after `ms`; default setTimeout. Virtual-time tests pass their own. */
  schedule?: (ms: number, fn: () => void) => void;
  /** Milliseconds, for the rate limit; default performance.now. */
  now?: () => number;
  /** Told whenever a targeted rule acts on a packet (the lab prints it in its timeline). */
  onRuleApplied?: (rule: PacketRule, packet: Uint8Array, direction: Direction) => void;
  /** Called for each packet put on the wire by inject(). */
  onInjected?: (packet: Uint8Array, direction: Direction) => void;
  /** Called for each packet a `hold` rule lets go. */
  onReleased?: (packet: Uint8Array, direction: Direction) => void;
  /** Told of each corruption: the damaged packet and which bit of which byte was flipped. */
  onCorrupted?: (packet: Uint8Array, direction: Direction, byte: number, bit: number) => void;
}

class Rule implements RuleHandle {
  matched = 0;
  applied = 0;
  readonly recorded: Uint8Array[] = [];
  readonly held: { direction: Direction; bytes: Uint8Array }[] = [];
  removed = false;
  constructor(
    readonly rule: PacketRule,
    private readonly deliverHeld: (direction: Direction, bytes: Uint8Array) => void,
  ) {}
  get holding(): number {
    return this.held.length;
  }
  release(): number {
    const packets = this.held.splice(0);
    for (const p of packets) this.deliverHeld(p.direction, p.bytes);
    return packets.length;
  }
  remove(): void {
    this.removed = true;
  }
}

class SingleBatch implements PacketBatch {
  readonly count = 1;
  constructor(private readonly bytes: Uint8Array) {}
  packet(): Uint8Array {
    return this.bytes;
  }
}

function emptyStats(): FaultStats {
  return { passed: 0, lost: 0, duplicated: 0, reordered: 0, corrupted: 0, delayed: 0, rateDropped: 0, ruleDropped: 0, ruleHeld: 0 };
}

export class FaultLink implements Link {
  readonly random: SeededRandom;
  readonly stats: Record<Direction, FaultStats> = { in: emptyStats(), out: emptyStats() };
  private readonly impairments: Record<Direction, Impairment>;
  private readonly rules: Rule[] = [];
  private readonly schedule: (ms: number, fn: () => void) => void;
  private readonly now: () => number;
  private readonly onRuleApplied: FaultLinkOptions['onRuleApplied'];
  private readonly onInjected: FaultLinkOptions['onInjected'];
  private readonly onCorrupted: FaultLinkOptions['onCorrupted'];
  private readonly onReleased: FaultLinkOptions['onReleased'];
  private handler: ((batch: PacketBatch) => void) | undefined;
  private readonly held: Record<Direction, Uint8Array | undefined> = { in: undefined, out: undefined };
  private readonly busyUntil: Record<Direction, number> = { in: 0, out: 0 };
  private closed = false;

  constructor(
    private readonly inner: Link,
    options: FaultLinkOptions = {},
  ) {
    // Offloaded packets are not wire packets: the kernel's arrive as 64 KiB coalesced segments
    // with partial checksums, ours leave as super-segments. Losing one would lose 44 wire
    // packets, and a flipped bit could never be caught. Impair a plain device.
    if (inner.offload) {
      throw Object.assign(
        new TypeError('FaultLink needs a link without offloads: open the TUN link with { offload: false } so that faults act on wire-size packets with real checksums'),
        { code: 'ERR_INVALID_ARG_VALUE' },
      );
    }
    this.random = new SeededRandom(options.seed ?? 1);
    this.impairments = { in: { ...options.in }, out: { ...options.out } };
    for (const rule of options.rules ?? []) this.addRule(rule);
    this.schedule = options.schedule ?? ((ms, fn) => void setTimeout(fn, ms));
    this.now = options.now ?? (() => performance.now());
    this.onRuleApplied = options.onRuleApplied;
    this.onInjected = options.onInjected;
    this.onCorrupted = options.onCorrupted;
    this.onReleased = options.onReleased;
  }

  get mtu(): number {
    return this.inner.mtu;
  }

  /** Change the random impairments of one direction while running. */
  setImpairment(direction: Direction, impairment: Impairment): void {
    this.impairments[direction] = { ...impairment };
  }

  addRule(rule: PacketRule): RuleHandle {
    const handle = new Rule(rule, (direction, bytes) => {
      if (this.closed) return;
      this.onReleased?.(bytes, direction);
      this.deliver(direction, bytes);
    });
    this.rules.push(handle);
    return handle;
  }

  send(packets: readonly Uint8Array[]): void {
    for (const packet of packets) this.process('out', packet);
  }

  /**
   * Put a packet on the wire now, past every impairment and rule: 'in' delivers it to the stack
   * as if it had arrived, 'out' sends it toward the peer.
   */
  inject(direction: Direction, packet: Uint8Array): void {
    if (this.closed) return;
    this.onInjected?.(packet, direction);
    this.deliver(direction, packet.slice());
  }

  onReceive(handler: (batch: PacketBatch) => void): void {
    this.handler = handler;
    this.inner.onReceive((batch) => {
      for (let i = 0; i < batch.count; i++) this.process('in', batch.packet(i));
    });
  }

  close(): void {
    this.closed = true;
    this.inner.close();
  }

  private process(direction: Direction, packet: Uint8Array): void {
    if (this.closed) return;
    const stats = this.stats[direction];
    const rule = this.matchRule(direction, packet);
    let copies = 1;
    let extraDelay = 0;
    if (rule) {
      this.onRuleApplied?.(rule.rule, packet, direction);
      const action = rule.rule.action;
      if (action.kind === 'drop') {
        stats.ruleDropped++;
        return;
      }
      if (action.kind === 'hold') {
        stats.ruleHeld++;
        rule.held.push({ direction, bytes: packet.slice() });
        return;
      }
      if (action.kind === 'delay') extraDelay = action.ms;
      else if (action.kind === 'record') rule.recorded.push(packet.slice());
      else copies += action.copies ?? 1;
    }
    const impairment = this.impairments[direction];
    if (this.random.chance(impairment.loss ?? 0)) {
      stats.lost++;
      return;
    }
    if (this.random.chance(impairment.duplicate ?? 0)) {
      copies++;
      stats.duplicated++;
    }
    for (let n = 0; n < copies; n++) {
      let bytes = packet;
      if (this.random.chance(impairment.corrupt ?? 0) && bytes.length > 0) {
        bytes = bytes.slice();
        const at = this.random.below(bytes.length);
        const bit = this.random.below(8);
        bytes[at] ^= 1 << bit;
        stats.corrupted++;
        this.onCorrupted?.(bytes, direction, at, bit);
      }
      this.shape(direction, bytes, extraDelay);
    }
  }

  /** Delay, jitter, rate limit and reordering; then delivery. */
  private shape(direction: Direction, bytes: Uint8Array, extraDelay: number): void {
    const impairment = this.impairments[direction];
    const stats = this.stats[direction];
    let delay = extraDelay;
    if (impairment.delayMs || impairment.jitterMs) {
      const jitter = impairment.jitterMs ?? 0;
      delay += Math.max(0, (impairment.delayMs ?? 0) + (this.random.next() * 2 - 1) * jitter);
    }
    if (impairment.rateBps) {
      const now = this.now();
      const start = Math.max(now, this.busyUntil[direction]);
      if (start - now > (impairment.queueLimitMs ?? 100)) {
        stats.rateDropped++;
        return;
      }
      this.busyUntil[direction] = start + (bytes.length * 8 * 1000) / impairment.rateBps;
      delay += this.busyUntil[direction] - now;
    }
    if (delay > 0) {
      stats.delayed++;
      const copy = bytes.slice();
      this.schedule(delay, () => this.reorderThenDeliver(direction, copy));
      return;
    }
    this.reorderThenDeliver(direction, bytes);
  }

  private reorderThenDeliver(direction: Direction, bytes: Uint8Array): void {
    if (this.closed) return;
    const impairment = this.impairments[direction];
    const held = this.held[direction];
    if (held === undefined && this.random.chance(impairment.reorder ?? 0)) {
      // Hold this one back; the next packet overtakes it, or it goes out on its own.
      const copy = bytes.slice();
      this.held[direction] = copy;
      this.stats[direction].reordered++;
      this.schedule(impairment.reorderHoldMs ?? 20, () => {
        if (this.held[direction] === copy) {
          this.held[direction] = undefined;
          this.deliver(direction, copy);
        }
      });
      return;
    }
    this.deliver(direction, bytes);
    if (held !== undefined) {
      this.held[direction] = undefined;
      this.deliver(direction, held);
    }
  }

  private deliver(direction: Direction, bytes: Uint8Array): void {
    if (this.closed) return;
    this.stats[direction].passed++;
    if (direction === 'out') this.inner.send([bytes]);
    else this.handler?.(new SingleBatch(bytes));
  }

  private matchRule(direction: Direction, bytes: Uint8Array): Rule | undefined {
    if (this.rules.length === 0) return undefined;
    let parsed: Packet | undefined;
    for (const rule of this.rules) {
      const r = rule.rule;
      if (rule.removed || (r.direction !== 'both' && r.direction !== direction)) continue;
      if (rule.applied >= (r.times ?? 1)) continue;
      if (parsed === undefined) {
        const result = parsePacket(bytes, false);
        if (!result.ok) return undefined;
        parsed = result;
      }
      if (!matches(r.match, parsed)) continue;
      rule.matched++;
      if (rule.matched <= (r.skip ?? 0)) continue;
      rule.applied++;
      return rule;
    }
    return undefined;
  }
}

function matches(match: PacketMatch, packet: Packet): boolean {
  const tcp = packet.l4.protocol === IPPROTO_TCP ? packet.l4 : undefined;
  const needsTcp = match.flags !== undefined || match.seq !== undefined || match.ack !== undefined || match.dataLength !== undefined;
  if (needsTcp && !tcp) return false;
  if (tcp) {
    if (match.flags !== undefined && formatTcpFlags(tcp.flags) !== match.flags) return false;
    if (match.seq !== undefined && tcp.seq !== match.seq >>> 0) return false;
    if (match.ack !== undefined && tcp.ack !== match.ack >>> 0) return false;
    if (match.dataLength !== undefined && tcp.payload.length !== match.dataLength) return false;
  }
  if (match.srcPort !== undefined || match.dstPort !== undefined) {
    const l4 = packet.l4;
    if (!('srcPort' in l4)) return false;
    if (match.srcPort !== undefined && l4.srcPort !== match.srcPort) return false;
    if (match.dstPort !== undefined && l4.dstPort !== match.dstPort) return false;
  }
  return match.where === undefined || match.where(packet);
}
