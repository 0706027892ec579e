// Every scenario tcplab can run, in tour order (DESIGN.md's table).
import type { ScenarioDefinition } from '../scenario.js';
import { backlog } from './backlog.js';
import { closeWait } from './close-wait.js';
import { curlTimeout } from './curl-timeout.js';
import { finWait1 } from './fin-wait-1.js';
import { finWait2 } from './fin-wait-2.js';
import { halfClose } from './half-close.js';
import { handshake } from './handshake.js';
import { lastAck } from './last-ack.js';
import { ping } from './ping.js';
import { portExhaustion } from './port-exhaustion.js';
import { reset } from './reset.js';
import { reuseaddr } from './reuseaddr.js';
import { synRecv } from './syn-recv.js';
import { synSent } from './syn-sent.js';
import { timeWait } from './time-wait.js';
import { timeWaitPileup } from './time-wait-pileup.js';

export const SCENARIOS: readonly ScenarioDefinition[] = [
  ping,
  handshake,
  synSent,
  synRecv,
  closeWait,
  finWait2,
  finWait1,
  lastAck,
  timeWait,
  backlog,
  curlTimeout,
  timeWaitPileup,
  portExhaustion,
  reuseaddr,
  reset,
  halfClose,
];

/** DESIGN.md's scenarios that are not written yet (the tour says so). */
export const SCENARIOS_TO_COME: readonly string[] = ['simultaneous-open', 'closing', 'lost-duplicate', 'last-ack-lost'];
