// One socket of the table as `tcplab ss` shows it and sends it over the control channel: the
// stack's SocketRow at one instant, with addresses as text, states as ss spells them and the
// timer as the time left, so that it survives JSON and needs no clock to print.
import { formatIpAddress } from '../wire/address.js';
import type { ConnectionInfo, SocketRow } from '../stack/socket-row.js';
import { ssState, type SsState } from './ss-state.js';

export interface SocketView {
  /** As ss prints it: ESTAB, SYN-SENT, SYN-RECV, FIN-WAIT-1, ... LISTEN. */
  readonly state: SsState;
  readonly family: 4 | 6;
  /** `address` undefined: a listener on every address of the family (0.0.0.0 or [::]). */
  readonly local: { readonly address: string | undefined; readonly port: number };
  /** undefined for a listener. */
  readonly remote: { readonly address: string; readonly port: number } | undefined;
  readonly recvQ: number;
  readonly sendQ: number;
  /** The timer ss -o shows, with the milliseconds left. */
  readonly timer?: { readonly kind: 'on' | 'keepalive' | 'timewait' | 'persist'; readonly remainingMs: number; readonly count: number };
  /** Listeners: half-open requests in the SYN queue. */
  readonly synQueue?: number;
  /** Connections: what ss -i shows. */
  readonly info?: ConnectionInfo;
  readonly owner: SocketRow['owner'];
}

export function socketView(row: SocketRow, now: number): SocketView {
  return {
    state: row.state === 'LISTEN' ? 'LISTEN' : ssState(row.state),
    family: row.family,
    local: { address: row.local.address === undefined ? undefined : formatIpAddress(row.local.address), port: row.local.port },
    remote: row.remote === undefined ? undefined : { address: formatIpAddress(row.remote.address), port: row.remote.port },
    recvQ: row.recvQ,
    sendQ: row.sendQ,
    ...(row.timer ? { timer: { kind: row.timer.kind, remainingMs: Math.max(0, row.timer.expiresAt - now), count: row.timer.count } } : {}),
    ...(row.synQueue !== undefined ? { synQueue: row.synQueue } : {}),
    ...(row.info ? { info: row.info } : {}),
    owner: row.owner,
  };
}
