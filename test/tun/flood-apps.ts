// The echo server the flood test defends.
import type { LabHost } from '../../src/lab/lab-host.js';
import type { Server } from '../../src/net/server.js';

export const apps = {
  async echo(host: LabHost, port: number, backlog: number): Promise<Server> {
    const server = host.net.createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: host.address, backlog }, () => resolve());
    });
    return server;
  },
};
