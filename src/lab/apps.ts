// The applications `tcplab serve` runs, behaving like the simple servers of the seeds:
// echo, discard, source (an endless byte stream), http (one small HTTP/1.x handler with an
// optional delay, closing first for HTTP/1.0 or `Connection: close`), and hold (accept,
// read, never answer).
import type { Server } from '../net/server.js';
import type { Socket } from '../net/socket.js';
import { patternBytes } from './pattern.js';

export type AppName = 'echo' | 'discard' | 'source' | 'http' | 'hold';
export const APP_NAMES: readonly AppName[] = ['echo', 'discard', 'source', 'http', 'hold'];

export interface AppOptions {
  app: AppName;
  /** http: wait this long before answering each request (the seed's slow Flask handler). */
  responseDelayMs?: number;
  /** Accept and read, but never close (CLOSE-WAIT stays when the client closes). */
  neverClose?: boolean;
  /** Close this long after accepting (the server closes first: TIME-WAIT on our side). */
  closeDelayMs?: number;
  /** Called for every line worth showing (requests served, closes...). */
  log?: (line: string) => void;
}

/** Attach the app to a server: every accepted connection runs it. */
export function runApp(server: Server, options: AppOptions): void {
  server.on('connection', (socket: Socket) => {
    const who = `${socket.remoteAddress}:${socket.remotePort}`;
    options.log?.(`accepted ${who}`);
    socket.on('error', (err) => options.log?.(`${who}: ${err.message}`));
    socket.on('end', () => options.log?.(`${who} sent FIN${options.neverClose ? ' (never closing: CLOSE-WAIT)' : ''}`));
    if (options.closeDelayMs !== undefined && !options.neverClose) {
      setTimeout(() => socket.end(), options.closeDelayMs).unref();
    }
    switch (options.app) {
      case 'echo':
        socket.pipe(socket, { end: !options.neverClose });
        break;
      case 'discard':
      case 'hold':
        socket.resume();
        if (!options.neverClose && options.app === 'discard') socket.on('end', () => socket.end());
        break;
      case 'source':
        source(socket);
        break;
      case 'http':
        http(socket, options);
        break;
    }
  });
}

function source(socket: Socket): void {
  let offset = 0;
  const pump = (): void => {
    while (!socket.destroyed && socket.writable) {
      const chunk = Buffer.from(patternBytes(65536, offset));
      offset += chunk.length;
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  socket.resume();
  pump();
}

/**
 * A minimal HTTP/1.x server loop on one connection: parse a request head (and a body by
 * Content-Length), wait the response delay, answer 200 with a short text body. HTTP/1.0
 * without keep-alive, or `Connection: close`, makes the server close first, as most servers
 * do. A client that gives up while a response is pending leaves this side in CLOSE-WAIT until
 * the handler returns (the socket is half-open), exactly as with the seed's Flask server.
 */
function http(socket: Socket, options: AppOptions): void {
  let buffered: Buffer = Buffer.alloc(0);
  let busy = false;
  const next = (): void => {
    if (busy) return;
    const headEnd = buffered.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = buffered.subarray(0, headEnd).toString('latin1');
    const [requestLine = '', ...headerLines] = head.split('\r\n');
    const headers = new Map(headerLines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const bodyLength = Number(headers.get('content-length') ?? 0) || 0;
    if (buffered.length < headEnd + 4 + bodyLength) return;
    buffered = buffered.subarray(headEnd + 4 + bodyLength);
    const [method = 'GET', path = '/', version = 'HTTP/1.0'] = requestLine.split(' ');
    const connection = (headers.get('connection') ?? '').toLowerCase();
    const close = connection === 'close' || (version === 'HTTP/1.0' && connection !== 'keep-alive');
    busy = true;
    const answer = (): void => {
      busy = false;
      if (socket.destroyed || !socket.writable) return;
      const body = `hello from tcplab: ${method} ${path}\n`;
      socket.write(
        `${version === 'HTTP/1.0' ? 'HTTP/1.0' : 'HTTP/1.1'} 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `Connection: ${close ? 'close' : 'keep-alive'}\r\n\r\n${body}`,
      );
      options.log?.(`${socket.remoteAddress}:${socket.remotePort} ${method} ${path} → 200`);
      if (close && !options.neverClose) socket.end();
      else next();
    };
    if (options.responseDelayMs) setTimeout(answer, options.responseDelayMs).unref();
    else answer();
  };
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    next();
  });
}
