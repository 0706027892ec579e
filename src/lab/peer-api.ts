// The other end of an experiment, as the scenarios drive it: Linux sockets in a namespace
// (KernelPeer, the normal case) or, where no TUN device or namespace is available, a second
// tcplab stack playing that part over an in-memory link (StackPeer). The calls mirror the
// socket calls of the seeds' Python scripts.
import type { KernelSocketRow } from './kernel-ss.js';

export interface PeerSocket {
  readonly sock: number;
}

export interface Peer {
  listen(port: number, options?: { host?: string; backlog?: number; reuseaddr?: boolean }): Promise<PeerSocket>;
  accept(listener: PeerSocket, timeoutSeconds?: number): Promise<PeerSocket & { peer: [string, number] }>;
  /** connect(); with `nonblocking` it returns as soon as the SYN is on its way. */
  connect(host: string, port: number, options?: { timeoutSeconds?: number; nonblocking?: boolean; bind?: [string, number] }): Promise<PeerSocket & { local: [string, number] }>;
  /** After a nonblocking connect: until it is established (rejects on failure). */
  waitConnected(s: PeerSocket, timeoutSeconds?: number): Promise<void>;
  send(s: PeerSocket, data: string | Uint8Array): Promise<number>;
  /** Send `bytes` bytes of the shared pattern (src/lab/pattern.ts) from offset `start`;
   *  resolves with their sha256. */
  sendPattern(s: PeerSocket, bytes: number, options?: { start?: number; timeoutMs?: number }): Promise<string>;
  recv(s: PeerSocket, max?: number, timeoutSeconds?: number): Promise<{ data: Buffer; eof: boolean }>;
  /** Read to EOF (or `bytes`); resolves with the count and sha256. */
  recvAll(s: PeerSocket, options?: { bytes?: number; timeoutSeconds?: number }): Promise<{ received: number; sha256: string }>;
  /** SO_ERROR: what was recorded on the socket (ECONNRESET after a RST), or undefined. */
  socketError(s: PeerSocket): Promise<string | undefined>;
  shutdown(s: PeerSocket, how?: 'rd' | 'wr' | 'rdwr'): Promise<void>;
  /** close(); with `linger0`, an abortive close that sends RST. */
  close(s: PeerSocket, options?: { linger0?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

/** The peer's socket table as `ss -tan -o` shows it. */
export type PeerSocketRows = () => Promise<KernelSocketRow[] | undefined>;
