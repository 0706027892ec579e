// The kernel peer on its own: two Linux sockets in a private namespace, driven the way
// the scenarios will drive one end, and watched with ss.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KernelPeer } from '../../src/lab/kernel-peer.js';
import { parseSs } from '../../src/lab/kernel-ss.js';
import { patternSha256 } from '../../src/lab/pattern.js';
import { describeTun } from './harness.js';

describeTun('kernel peer', (getNs) => {
  let peer: KernelPeer;
  beforeAll(async () => {
    peer = await KernelPeer.start(getNs());
  });
  afterAll(async () => {
    await peer?.stop();
  });

  it('streams a byte pattern both ways with matching sha256, then half-closes', async () => {
    const listener = await peer.listen(7001, { host: '127.0.0.1' });
    const [client, server] = await Promise.all([peer.connect('127.0.0.1', 7001), peer.accept(listener)]);
    const bytes = 3_000_000;
    const [sent, received] = await Promise.all([peer.sendPattern(client, bytes), peer.recvAll(server, { bytes })]);
    expect(sent).toBe(patternSha256(bytes));
    expect(received).toEqual({ received: bytes, sha256: sent });

    await peer.shutdown(client, 'wr');
    expect((await peer.recv(server, 10)).eof).toBe(true);
    // The ACK of the FIN may wait for the delayed-ACK timer: poll ss until it settles.
    const states = async () =>
      parseSs(await getNs().run(['ss', '-tan', '-o']))
        .filter((r) => r.local.endsWith(':7001') || r.peer.endsWith(':7001'))
        .map((r) => r.state)
        .sort();
    await expect.poll(states, { timeout: 2000, interval: 20 }).toEqual(['CLOSE-WAIT', 'FIN-WAIT-2', 'LISTEN']);
    await peer.close(server);
    await peer.close(client);
    const after = parseSs(await getNs().run(['ss', '-tan', '-o']));
    const tw = after.find((r) => r.state === 'TIME-WAIT');
    expect(tw?.timer?.name).toBe('timewait');
  });

  it('reports ECONNREFUSED, and ECONNRESET after an abortive close (linger 0)', async () => {
    await expect(peer.connect('127.0.0.1', 7999)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const listener = await peer.listen(7002, { host: '127.0.0.1' });
    const [client, server] = await Promise.all([peer.connect('127.0.0.1', 7002), peer.accept(listener)]);
    await peer.close(server, { linger0: true });
    await expect(peer.recv(client, 10, 5)).rejects.toMatchObject({ code: 'ECONNRESET' });
  });
});
