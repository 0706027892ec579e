// Real HTTP clients in the namespace against servers on tcplab: curl against Node's own
// http module served over tcplab sockets, and ab's 2000 requests against `--app http`.
import http from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runApp } from '../../src/lab/apps.js';
import { openLabHost, type LabHost } from '../../src/lab/lab-host.js';
import { describeTun } from './harness.js';

describeTun('HTTP over tcplab', (getNs) => {
  let host: LabHost;
  beforeAll(() => {
    host = openLabHost({ netns: getNs().name, addr: '10.94.0.2/24', peerAddr: '10.94.0.1' });
  });
  afterAll(() => host?.close());

  it('curl gets a body from node:http served on tcplab', async () => {
    const httpServer = http.createServer((req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(`served by node:http over tcplab: ${req.method} ${req.url}\n`);
    });
    const server = host.net.createServer((socket) => httpServer.emit('connection', socket));
    server.listen({ port: 8080 });
    const out = await getNs().run(['curl', '-s', '--max-time', '10', 'http://10.94.0.2:8080/hello']);
    expect(out).toBe('served by node:http over tcplab: GET /hello\n');
    server.close();
  });

  it('ab -n 2000 -c 20 completes with 0 failed requests, and the server-side closes pile up in TIME-WAIT', async () => {
    const server = host.net.createServer({ allowHalfOpen: true });
    runApp(server, { app: 'http' });
    server.listen({ port: 8081, backlog: 511 });
    const out = await getNs().run(['ab', '-q', '-n', '2000', '-c', '20', 'http://10.94.0.2:8081/'], { timeoutMs: 120_000 });
    expect(out).toMatch(/Complete requests:\s+2000/);
    expect(out).toMatch(/Failed requests:\s+0/);
    // HTTP/1.0 without keep-alive: the server closes first, so TIME-WAIT is on tcplab's side.
    const states = host.net.stack.tcp.sockets(host.net.now()).map((r) => r.state);
    expect(states.filter((s) => s === 'TIME-WAIT').length).toBeGreaterThan(1900);
    server.close();
  }, 150_000);
});
