// The stack's record of one connection: the engine, its 4-tuple, and the listener it
// came from while it waits in that listener's queues.
import type { Connection } from '../tcp/connection.js';
import type { Endpoint } from '../tcp/outgoing-segment.js';
import type { Listener } from './listener.js';

export class TcpEndpoint {
  /** The listener whose SYN or accept queue holds it; cleared once accepted. */
  listener: Listener | undefined;
  /** Where it is: half-open in a SYN queue, waiting in an accept queue, or owned by the application. */
  queue: 'syn' | 'accept' | 'none' = 'none';
  /** Whatever the layer above attached (the net layer's Socket). */
  owner: unknown;

  constructor(
    readonly key: string,
    readonly connection: Connection,
    readonly local: Endpoint,
    readonly remote: Endpoint,
  ) {}
}
