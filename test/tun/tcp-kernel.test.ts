// tcplab's TCP against the Linux kernel over a real TUN device: both directions of
// connection, bytes streamed and hashed at both ends, half-close and abortive close.
// (The Node-shaped Socket API comes later; here the test drives the stack's endpoints.)
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KernelPeer } from '../../src/lab/kernel-peer.js';
import { patternSha256 } from '../../src/lab/pattern.js';
import { TunLink } from '../../src/link/tun-link.js';
import { RealClock } from '../../src/net/clock.js';
import { StackDriver } from '../../src/net/driver.js';
import { Stack } from '../../src/stack/stack.js';
import type { TcpEndpoint } from '../../src/stack/tcp-endpoint.js';
import { describeTun } from './harness.js';
import { acceptKernelClient, patternFromKernel, readToEnd as readAll, until, writePattern as writeAll, type Driving } from './transfer.js';

const KERNEL = '10.93.0.1';
const TCPLAB = '10.93.0.2';

describeTun('TCP with the kernel as the peer', (getNs) => {
  let link: TunLink;
  let stack: Stack;
  let driver: StackDriver;
  let clock: RealClock;
  let peer: KernelPeer;

  beforeAll(async () => {
    link = TunLink.open({ netns: getNs().name, addresses: [`${KERNEL}/24`, 'fd00:93::1/64'] });
    clock = new RealClock();
    stack = new Stack({ addresses: [TCPLAB, 'fd00:93::2'] });
    driver = new StackDriver(stack, link, clock);
    peer = await KernelPeer.start(getNs());
  });
  afterAll(async () => {
    await peer?.stop();
    driver?.close();
    link?.close();
  });

  const driving: Driving = {
    now: () => clock.now(),
    after: (ep) => {
      stack.tcp.afterUserCall(ep);
      driver.flush();
    },
  };
  const readToEnd = (ep: TcpEndpoint) => readAll(ep, driving);
  const writePattern = (ep: TcpEndpoint, total: number) => writeAll(ep, total, driving);

  it('kernel client → tcplab server: 100 MB byte-exact, then the client half-closes', async () => {
    const { listener, client, server } = await acceptKernelClient(stack, peer, TCPLAB, { port: 5001 });
    expect(server.connection.stateName).toBe('ESTABLISHED');
    const bytes = 100_000_000;
    const { got, sent } = await patternFromKernel(peer, client, server, bytes, driving);
    expect(got).toEqual({ bytes, sha256: sent });
    expect(server.connection.stateName).toBe('CLOSE-WAIT');
    // We answer the half-close with data of our own, then close: the kernel reads it all.
    await writePattern(server, 1_000_000);
    server.connection.close(clock.now());
    stack.tcp.afterUserCall(server);
    driver.flush();
    expect(await peer.recvAll(client)).toEqual({ received: 1_000_000, sha256: patternSha256(1_000_000) });
    await peer.close(client);
    await until('the server side to close', () => server.connection.stateName === 'CLOSED');
    stack.tcp.unlisten(listener, clock.now());
  });

  it('tcplab client → kernel server: 100 MB byte-exact, then we half-close and keep reading', async () => {
    const listener = await peer.listen(5002, { host: KERNEL });
    const ep = stack.connect({ host: KERNEL, port: 5002 }, clock.now());
    driver.flush();
    const accepted = await peer.accept(listener);
    await until('ESTABLISHED', () => ep.connection.stateName === 'ESTABLISHED');
    const bytes = 100_000_000;
    const receiving = peer.recvAll(accepted, { bytes });
    await writePattern(ep, bytes);
    ep.connection.shutdownWrite(clock.now());
    stack.tcp.afterUserCall(ep);
    driver.flush();
    expect(await receiving).toEqual({ received: bytes, sha256: patternSha256(bytes) });
    expect((await peer.recv(accepted, 10)).eof).toBe(true);
    await until('FIN-WAIT-2', () => ep.connection.stateName === 'FIN-WAIT-2');
    // Half-closed: the kernel can still send, and we still read.
    const hash = await peer.sendPattern(accepted, 500_000);
    await peer.close(accepted);
    expect(await readToEnd(ep)).toEqual({ bytes: 500_000, sha256: hash });
    await until('TIME-WAIT', () => ep.connection.stateName === 'TIME-WAIT');
  });

  it('abortive close: tcplab sends RST and the kernel reads ECONNRESET', async () => {
    const { listener, client, server } = await acceptKernelClient(stack, peer, TCPLAB, { port: 5003 });
    server.connection.abort(clock.now());
    stack.tcp.afterUserCall(server);
    driver.flush();
    await expect(peer.recv(client, 10, 5)).rejects.toMatchObject({ code: 'ECONNRESET' });
    stack.tcp.unlisten(listener, clock.now());
  });
});
