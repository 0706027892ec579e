// The stack's recent events: a bounded ring of every connection's TcpEvents (and the stack's own
// drops), with the two ends they belong to, so that a running tcplab can be asked what just
// happened (`tcplab trace`) and followed live. The oldest entries are overwritten; nothing is
// formatted, and nothing allocated, until someone reads.
import type { TcpEvent } from '../tcp/events.js';
import type { Endpoint } from '../tcp/outgoing-segment.js';

export interface RecordedEvent {
  readonly event: TcpEvent;
  /** The connection's ends; for a packet the stack dropped, what its header said (undefined
   *  when it could not be read). */
  readonly local: Endpoint | undefined;
  readonly remote: Endpoint | undefined;
}

export type EventListener = (event: TcpEvent, local: Endpoint | undefined, remote: Endpoint | undefined) => void;

/** How many events a stack keeps by default. */
export const DEFAULT_EVENT_RING_CAPACITY = 4096;

export class EventRing {
  // Three parallel arrays rather than one object per entry: recording costs no allocation.
  private readonly events: (TcpEvent | undefined)[];
  private readonly locals: (Endpoint | undefined)[];
  private readonly remotes: (Endpoint | undefined)[];
  /** Where the next entry goes (the oldest one once the ring is full). */
  private head = 0;
  private size = 0;
  /** Events recorded since the stack started; the ring keeps the last `capacity`. */
  total = 0;
  private readonly listeners = new Set<EventListener>();

  constructor(readonly capacity = DEFAULT_EVENT_RING_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw Object.assign(new RangeError(`the event ring's capacity must be a whole number (0: keep nothing), not ${capacity}`), { code: 'ERR_OUT_OF_RANGE' });
    }
    this.events = new Array<TcpEvent | undefined>(capacity);
    this.locals = new Array<Endpoint | undefined>(capacity);
    this.remotes = new Array<Endpoint | undefined>(capacity);
  }

  record(event: TcpEvent, local: Endpoint | undefined, remote: Endpoint | undefined): void {
    this.total++;
    for (const listener of this.listeners) listener(event, local, remote);
    if (this.capacity === 0) return;
    const i = this.head;
    this.events[i] = event;
    this.locals[i] = local;
    this.remotes[i] = remote;
    this.head = i + 1 === this.capacity ? 0 : i + 1;
    if (this.size < this.capacity) this.size++;
  }

  /** The entries still held, oldest first; only the last `limit` of them when given. */
  recent(limit?: number): RecordedEvent[] {
    const n = limit === undefined ? this.size : Math.max(0, Math.min(Math.floor(limit), this.size));
    const out: RecordedEvent[] = [];
    for (let k = this.size - n; k < this.size; k++) {
      const i = (this.head - this.size + k + this.capacity) % this.capacity;
      const event = this.events[i];
      if (event) out.push({ event, local: this.locals[i], remote: this.remotes[i] });
    }
    return out;
  }

  /** Call `listener` with every entry recorded from now on; returns the function that stops it. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}
