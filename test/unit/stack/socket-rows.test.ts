// The socket table the stack hands to `tcplab ss`: Recv-Q and Send-Q with ss's meaning, the
// queues of a listener, and the timer of each state, between two stacks in virtual time.
import { describe, expect, it } from 'vitest';
import type { SocketRow } from '../../../src/stack/socket-row.js';
import { twoHosts } from './two-hosts.js';

function row(rows: SocketRow[], state: string): SocketRow {
  const found = rows.find((r) => r.state === state);
  if (!found) throw new Error(`no ${state} row in ${rows.map((r) => r.state).join(', ')}`);
  return found;
}

describe('the socket table (ss -tan -o)', () => {
  it('a SYN-SENT socket counts its SYN in Send-Q and shows the retransmission timer', () => {
    const h = twoHosts();
    h.drop = () => true;
    h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
    h.run(0);
    const r = row(h.a.tcp.sockets(h.now), 'SYN-SENT');
    expect([r.recvQ, r.sendQ]).toEqual([0, 1]);
    expect(r.timer).toEqual({ kind: 'on', expiresAt: 1000, count: 0 });
    expect(r.owner).toBe('app');
  });

  it('LISTEN shows the accept queue over the backlog; CLOSE-WAIT counts the unread FIN until it is read', () => {
    const h = twoHosts();
    const listener = h.b.listen({ port: 80, backlog: 1 });
    const clients = [h.a.connect({ host: '10.0.0.2', port: 80 }, h.now)];
    h.run(10);
    clients.push(h.a.connect({ host: '10.0.0.2', port: 80 }, h.now));
    h.run(20);
    const listen = row(h.b.tcp.sockets(h.now), 'LISTEN');
    expect([listen.recvQ, listen.sendQ, listen.synQueue]).toEqual([2, 1, 0]);
    expect(h.b.tcp.sockets(h.now).filter((r) => r.owner === 'accept-queue')).toHaveLength(2);

    // The client sends 5 bytes and closes: the unaccepted server side holds 5 bytes and a FIN.
    const client = clients[0];
    client.connection.write(new TextEncoder().encode('hello'), h.now);
    client.connection.close(h.now);
    h.a.tcp.afterUserCall(client);
    h.run(h.now + 500);
    const server = h.b.tcp.accept(listener)!;
    expect(server.connection.stateName).toBe('CLOSE-WAIT');
    expect(server.connection.recvQ).toBe(6);
    expect(row(h.a.tcp.sockets(h.now), 'FIN-WAIT-2').sendQ).toBe(0);
    server.connection.read(3, h.now);
    expect(server.connection.recvQ).toBe(3);
    server.connection.read(100, h.now);
    expect(server.connection.recvQ).toBe(0);
  });

  it('backlog 1 with two SYNs at the same moment: both complete (the SYN queue overflows into a cookie), LISTEN shows 2 1', () => {
    const h = twoHosts();
    h.b.listen({ port: 80, backlog: 1 });
    h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
    h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
    h.run(10);
    const rows = h.b.tcp.sockets(h.now);
    const listen = row(rows, 'LISTEN');
    expect([listen.recvQ, listen.sendQ, listen.synQueue]).toEqual([2, 1, 0]);
    expect(rows.filter((r) => r.owner === 'accept-queue').map((r) => r.state)).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(h.b.counters.get('TcpExtSyncookiesRecv')).toBe(1);
  });

  it('TIME-WAIT shows 0 0 and timer:(timewait) counting down to exactly 2 MSL', () => {
    const h = twoHosts();
    const listener = h.b.listen({ port: 80 });
    const client = h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
    h.run(10);
    const server = h.b.tcp.accept(listener)!;
    h.closeInTurn(client, server);
    const tw = row(h.a.tcp.sockets(h.now), 'TIME-WAIT');
    const enteredAt = (client.state as { enteredAt: number }).enteredAt;
    expect([tw.recvQ, tw.sendQ, tw.owner]).toEqual([0, 0, 'time-wait']);
    expect(tw.timer).toEqual({ kind: 'timewait', expiresAt: enteredAt + 60_000, count: 0 });
  });
});
