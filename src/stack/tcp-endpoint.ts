// The stack's record of one connection: the engine, its 4-tuple, and the listener it
// came from while it waits in that listener's queues.
//
// When the connection enters TIME-WAIT the stack keeps a compact entry in its TIME-WAIT table
// and lets go of the endpoint (Linux tcp_time_wait: the socket is done, an inet_timewait_sock
// takes its 4-tuple). The application may still hold the endpoint (it reads what is left in the
// receive buffer, and asks for the state): `timeWait` names the table entry, so the endpoint
// tells TIME-WAIT, with the entry's current expiry, from CLOSED once the entry is gone.
import type { Connection } from '../tcp/connection.js';
import type { Endpoint } from '../tcp/outgoing-segment.js';
import type { TcpState, TcpStateName } from '../tcp/state.js';
import type { Listener } from './listener.js';
import type { TimeWaitTable } from './time-wait-table.js';
import type { TimerHandle } from './timer-wheel.js';

/** One entry of the TIME-WAIT table, for good: (slot, generation). */
export interface TimeWaitRef {
  readonly table: TimeWaitTable;
  readonly slot: number;
  readonly generation: number;
}

const CLOSED: TcpState = Object.freeze({ name: 'CLOSED' });

export class TcpEndpoint {
  /** The listener whose SYN or accept queue holds it; cleared once accepted. */
  listener: Listener | undefined;
  /** Where it is: half-open in a SYN queue, waiting in an accept queue, or owned by the application. */
  queue: 'syn' | 'accept' | 'none' = 'none';
  /** Whatever the layer above attached (the net layer's Socket). */
  owner: unknown;
  /** Set once the stack moved the connection into its TIME-WAIT table (the engine is then left
   *  as it was: readable, but no longer fed segments or timers). */
  timeWait: TimeWaitRef | undefined;
  /** The connection's deadline in the stack's timer wheel (whose values are the layer's). */
  timer: TimerHandle<unknown> | undefined;

  constructor(
    readonly key: string,
    readonly connection: Connection,
    readonly local: Endpoint,
    readonly remote: Endpoint,
  ) {}

  /** The connection's state: the engine's, or its TIME-WAIT entry's (CLOSED once it ended). */
  get state(): TcpState {
    const tw = this.timeWait;
    if (tw === undefined) return this.connection.state;
    if (!tw.table.holds(tw.slot, tw.generation)) return CLOSED;
    return { name: 'TIME-WAIT', enteredAt: tw.table.entryStamp(tw.slot), expiresAt: tw.table.expiresAt(tw.slot) };
  }

  get stateName(): TcpStateName {
    const tw = this.timeWait;
    if (tw === undefined) return this.connection.stateName;
    return tw.table.holds(tw.slot, tw.generation) ? 'TIME-WAIT' : 'CLOSED';
  }
}
