// `tcplab ss -tio` on connections of the real engine: the second line of each socket in ss -i's
// words and order, windows in packets; TIME-WAIT and listeners as Linux shows them.
import { describe, expect, it } from 'vitest';
import { formatSs } from '../../../src/inspect/ss-table.js';
import { stateFilter } from '../../../src/inspect/ss-state.js';
import { socketView } from '../../../src/inspect/socket-view.js';
import type { ConnectionInfo } from '../../../src/stack/socket-row.js';
import { twoHosts } from '../stack/two-hosts.js';

describe('ss -i', () => {
  it('shows what the handshake agreed, the RTT, the windows and the byte counts', () => {
    const h = twoHosts();
    const listener = h.b.listen({ port: 80 });
    const client = h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
    h.run(10);
    const server = h.b.tcp.accept(listener)!;
    client.connection.write(new Uint8Array(100_000), h.now);
    h.a.tcp.afterUserCall(client);
    for (let t = 20; t < 2000; t += 10) {
      server.connection.read(1 << 20, h.now);
      h.b.tcp.afterUserCall(server);
      h.run(t);
    }
    const table = formatSs(
      h.a.tcp.sockets(h.now).map((r) => socketView(r, h.now)),
      { states: stateFilter({ all: true }), timers: true, info: true },
    );
    const [header, row, info] = table.split('\n');
    // ss's layout: the details are part of the last column, so the header pads to their length.
    expect(header).toBe(`State Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess${' '.repeat(info.length + 1 - 'Process'.length)}`);
    expect(row).toMatch(/^ESTAB 0 {6}0 {11}10\.0\.0\.1:\d{5} {5}10\.0\.0\.2:80 {2}$/);
    // Back to back in virtual time the RTT is 0: ss leaves out rtt and send then, as here.
    // rcv_space and rcv_ssthresh as Linux sets them at establishment (10 × advmss; the SYN's
    // window, under the clamp): this end received nothing, so no rcv_rtt.
    expect(info).toMatch(/^\t ts sack cubic wscale:7,7 rto:200 mss:1448 advmss:1460 cwnd:\d+ bytes_sent:100000 bytes_acked:100000 segs_out:\d+ segs_in:\d+ rcv_space:14480 rcv_ssthresh:64240 snd_wnd:\d+$/);
    const cwnd = Number(/cwnd:(\d+)/.exec(info)![1]);
    expect(cwnd).toBe(Math.floor(client.connection.cwnd / client.connection.sendMss));
  });

  /** The ss -i line of an ESTAB socket with these details. */
  function infoLine(info: ConnectionInfo): string {
    const view = { state: 'ESTAB' as const, family: 4 as const, local: { address: '10.0.0.1', port: 40000 }, remote: { address: '10.0.0.2', port: 80 }, recvQ: 0, sendQ: 0, owner: 'app' as const, info };
    return formatSs([view], { states: stateFilter({}), info: true }).split('\n')[2]!;
  }

  it('with an RTT: rtt:srtt/rttvar in ms (%g), and the send rate cwnd × mss × 8 / srtt', () => {
    const info = infoLine({ congestion: 'newreno', caState: 'open', cwnd: 14_480, ssthresh: 7240, srtt: 5.269, rttvar: 10.5, rto: 208, mss: 1448, rcvWnd: 65_535, sndWnd: 0, bytesAcked: 1, bytesReceived: 0, retransSegs: 2 });
    expect(info).toBe('\t reno rto:208 rtt:5.269/10.5 mss:1448 cwnd:10 ssthresh:5 bytes_acked:1 send 21985196bps retrans:0/2');
  });

  it('receive-buffer auto-tuning: rcv_rtt (ms, %g), rcv_space and rcv_ssthresh after retrans, before snd_wnd', () => {
    const info = infoLine({ congestion: 'cubic', caState: 'open', cwnd: 14_480, ssthresh: Infinity, srtt: undefined, rttvar: undefined, rto: 200, mss: 1448, rcvWnd: 65_535, sndWnd: 64_256, bytesAcked: 0, bytesReceived: 4344, retransSegs: 1, rcvRtt: 0.015, rcvSpace: 2896, rcvSsthresh: 3741 });
    // The words and order of Linux's own line (test/fixtures/ss/B.ss-tni.txt: "rcv_rtt:0.015
    // rcv_space:2896 rcv_ssthresh:3741 minrtt:0.009 snd_wnd:64256").
    expect(info).toBe('\t cubic rto:200 mss:1448 cwnd:10 bytes_received:4344 retrans:0/1 rcv_rtt:0.015 rcv_space:2896 rcv_ssthresh:3741 snd_wnd:64256');
  });

  it('a listener shows cwnd:10 and the connections waiting (unacked); TIME-WAIT nothing', () => {
    const h = twoHosts();
    h.b.listen({ port: 80, backlog: 4 });
    const client = h.a.connect({ host: '10.0.0.2', port: 80 }, h.now);
    h.run(10);
    expect(formatSs(h.b.tcp.sockets(h.now).filter((r) => r.state === 'LISTEN').map((r) => socketView(r, h.now)), { states: stateFilter({ listening: true }), info: true })).toBe(
      ['State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess             ', 'LISTEN 1      4            0.0.0.0:80        0.0.0.0:*   ', '\t cwnd:10 unacked:1', ''].join('\n'),
    );
    client.connection.close(h.now);
    h.a.tcp.afterUserCall(client);
    h.run(100);
    const [server] = [...h.b.tcp.connections.values()];
    server.connection.close(h.now);
    h.b.tcp.afterUserCall(server);
    h.run(200);
    const table = formatSs(h.a.tcp.sockets(h.now).map((r) => socketView(r, h.now)), { states: stateFilter({}, ['state', 'time-wait']), info: true, timers: true });
    // The timer and the (empty) details share the last column: "\n\t" ends the row.
    expect(table.split('\n').slice(1)).toEqual([expect.stringMatching(/^0 {6}0 {11}10\.0\.0\.1:\d{5} {5}10\.0\.0\.2:80 {3}timer:\(timewait,59sec,0\)$/), '\t', '']);
  });
});
