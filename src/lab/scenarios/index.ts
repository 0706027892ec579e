// Every scenario tcplab can run, in tour order (DESIGN.md's table).
import type { ScenarioDefinition } from '../scenario.js';
import { backlog } from './backlog.js';
import { closeWait } from './close-wait.js';
import { closing } from './closing.js';
import { curlTimeout } from './curl-timeout.js';
import { finWait1 } from './fin-wait-1.js';
import { finWait2 } from './fin-wait-2.js';
import { halfClose } from './half-close.js';
import { handshake } from './handshake.js';
import { lastAck } from './last-ack.js';
import { lastAckLost } from './last-ack-lost.js';
import { lostDuplicate } from './lost-duplicate.js';
import { ping } from './ping.js';
import { portExhaustion } from './port-exhaustion.js';
import { reset } from './reset.js';
import { reuseaddr } from './reuseaddr.js';
import { simultaneousOpen } from './simultaneous-open.js';
import { synRecv } from './syn-recv.js';
import { synSent } from './syn-sent.js';
import { timeWait } from './time-wait.js';
import { timeWaitPileup } from './time-wait-pileup.js';

export const SCENARIOS: readonly ScenarioDefinition[] = [
  ping,
  handshake,
  synSent,
  synRecv,
  simultaneousOpen,
  closeWait,
  finWait2,
  finWait1,
  lastAck,
  closing,
  timeWait,
  lastAckLost,
  backlog,
  curlTimeout,
  timeWaitPileup,
  portExhaustion,
  lostDuplicate,
  reuseaddr,
  reset,
  halfClose,
];

/** DESIGN.md's scenarios that are not written yet (the tour says so). */
export const SCENARIOS_TO_COME: readonly string[] = [];
