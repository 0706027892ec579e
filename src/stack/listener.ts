// A listening socket with Linux's two queues: the SYN queue of half-open connections
// (SYN-RECEIVED, their SYN-ACKs retransmitted by the engine) and the accept queue of
// established connections the application has not accepted yet. Connections made from SYN
// cookies never sit in the SYN queue: they go straight to the accept queue.
import type { IpAddress } from '../wire/address.js';
import type { TcpEndpoint } from './tcp-endpoint.js';
import { ChurnSet } from './churn-map.js';

/** net.core.somaxconn (Linux 5.4+): the cap on any listen() backlog. */
export const DEFAULT_SOMAXCONN = 4096;

export class Listener {
  /** undefined: every address of the family (INADDR_ANY / in6addr_any). */
  readonly address: IpAddress | undefined;
  readonly family: 4 | 6;
  readonly port: number;
  /** listen()'s backlog after the somaxconn cap. */
  readonly backlog: number;
  /** SO_REUSEADDR, which its accepted connections inherit (and keep into TIME-WAIT). */
  readonly reuseAddress: boolean;
  readonly synQueue = new ChurnSet<TcpEndpoint>();
  readonly acceptQueue: TcpEndpoint[] = [];
  closed = false;
  /** When the listener last answered a SYN with a cookie (Linux tcp_synq_overflow). */
  lastSynCookieAt = Number.NEGATIVE_INFINITY;

  constructor(options: { address: IpAddress | undefined; family: 4 | 6; port: number; backlog: number; somaxconn: number; reuseAddress?: boolean }) {
    this.address = options.address;
    this.reuseAddress = options.reuseAddress ?? false;
    this.family = options.family;
    this.port = options.port;
    // Linux inet_listen: sk_max_ack_backlog = min(backlog, somaxconn); a negative backlog is 0.
    this.backlog = Math.max(0, Math.min(options.backlog, options.somaxconn));
  }

  /**
   * Linux sk_acceptq_is_full: `sk_ack_backlog > sk_max_ack_backlog`, so listen(fd, 1) admits
   * two connections before the queue counts as full (DESIGN.md, "accept queue").
   */
  acceptQueueFull(): boolean {
    return this.acceptQueue.length > this.backlog;
  }

  /**
   * Linux inet_csk_reqsk_queue_is_full: the SYN queue holds as many half-open requests as the
   * backlog allows (at least one, so listen(fd, 0) still works).
   */
  synQueueFull(): boolean {
    return this.synQueue.size >= Math.max(1, this.backlog);
  }

  /**
   * Linux tcp_synq_no_recent_overflow: no cookie went out in the last TCP_SYNCOOKIE_VALID
   * (two cookie periods), so an ACK to the listener cannot be a cookie's and is not checked.
   */
  noRecentSynCookie(now: number, validFor: number): boolean {
    return now - this.lastSynCookieAt > validFor;
  }

  /** The oldest established connection waiting, removed from the queue. */
  accept(): TcpEndpoint | undefined {
    return this.acceptQueue.shift();
  }
}
