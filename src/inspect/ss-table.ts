// `tcplab ss`: the socket table as `ss -tan [-o] [-i]` prints it, from SocketViews.
import { printfG } from './printf-g.js';
import { renderColumns, type Column } from './ss-columns.js';
import { inStateMask, singleState, type StateMask } from './ss-state.js';
import { ssTimerField } from './ss-timer.js';
import type { SocketView } from './socket-view.js';

export interface SsOptions {
  /** Which states to list (ss-state.ts stateFilter: -a, -l, state X). */
  readonly states: StateMask;
  /** -o: the timer column. */
  readonly timers?: boolean;
  /** -i: the connection's details on a second line. */
  readonly info?: boolean;
  /** -H: no header line. */
  readonly noHeader?: boolean;
  /** The terminal's width; undefined (a pipe) for ss's compact output. */
  readonly screenWidth?: number;
}

/** The sockets `options.states` lets through, in the stack's order. */
export function selectSockets(views: readonly SocketView[], states: StateMask): SocketView[] {
  return views.filter((v) => inStateMask(v.state, states));
}

/** The table, header and all, exactly as ss lays it out. */
export function formatSs(views: readonly SocketView[], options: SsOptions): string {
  const showState = !singleState(options.states);
  // misc/ss.c's columns for one protocol without -p: Netid is hidden, and the last two columns
  // are the extension column (headed "Process": timers and -i details go there) and an empty one.
  const columns: Column[] = [
    ...(showState ? [{ header: 'State', align: 'left', ldelim: '' } as const] : []),
    { header: 'Recv-Q', align: 'left', ldelim: ' ' },
    { header: 'Send-Q', align: 'left', ldelim: ' ' },
    { header: 'Local Address:', align: 'right', ldelim: ' ' },
    { header: 'Port', align: 'left', ldelim: '' },
    { header: 'Peer Address:', align: 'right', ldelim: ' ' },
    { header: 'Port', align: 'left', ldelim: '' },
    { header: 'Process', align: 'left', ldelim: '' },
    { header: '', align: 'left', ldelim: '' },
  ];
  const lines: string[][] = [];
  if (!options.noHeader) lines.push(columns.map((c) => c.header));
  for (const v of selectSockets(views, options.states)) {
    const anyAddress = v.family === 4 ? '0.0.0.0' : '[::]';
    const local = v.local.address === undefined ? anyAddress : bracket(v.local.address);
    const peer = v.remote === undefined ? anyAddress : bracket(v.remote.address);
    let ext = '';
    if (options.timers && v.timer) ext += ssTimerField(v.timer.kind, v.timer.remainingMs, v.timer.count);
    if (options.info) ext += `\n\t${infoText(v, options.timers ?? false)}`;
    lines.push([
      ...(showState ? [v.state] : []),
      String(v.recvQ).padEnd(6),
      String(v.sendQ).padEnd(6),
      `${local}:`,
      portText(v.local.port),
      `${peer}:`,
      portText(v.remote?.port ?? 0),
      ext,
      '',
    ]);
  }
  return renderColumns(columns, lines, options.screenWidth);
}

/** ss brackets numeric IPv6 addresses. */
function bracket(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/** resolve_service: port 0 is "*". */
function portText(port: number): string {
  return port === 0 ? '*' : String(port);
}

/**
 * The second line of `ss -i` (tcp_stats_print), with what the stack knows, in ss's order and
 * words: [ts sack] cong wscale:S,R rto rtt:srtt/rttvar mss advmss cwnd [ssthresh] bytes_sent
 * bytes_acked bytes_received segs_out segs_in send Nbps [retrans:0/N] [rcv_rtt] rcv_space
 * rcv_ssthresh snd_wnd. Windows are in
 * packets (cwnd / MSS) as Linux counts them. TIME-WAIT and SYN-RECV mini sockets have nothing.
 */
function infoText(v: SocketView, withOptions: boolean): string {
  if (v.state === 'LISTEN') return ` cwnd:10${v.recvQ > 0 ? ` unacked:${v.recvQ}` : ''}`;
  const i = v.info;
  if (i === undefined || v.state === 'TIME-WAIT' || v.owner === 'syn-queue') return '';
  let out = '';
  if (withOptions && i.timestamps) out += ' ts';
  if (withOptions && i.sack) out += ' sack';
  out += ` ${i.congestion === 'newreno' ? 'reno' : i.congestion}`;
  if (i.wscale) out += ` wscale:${i.wscale[0]},${i.wscale[1]}`;
  // Linux reports no rto while it is still the 3 s of a handshake that lost its SYN.
  if (i.rto && i.rto !== 3000) out += ` rto:${printfG(i.rto)}`;
  const srtt = finite(i.srtt);
  if (srtt !== undefined && srtt > 0) out += ` rtt:${printfG(srtt)}/${printfG(finite(i.rttvar) ?? 0)}`;
  if (i.mss) out += ` mss:${i.mss}`;
  if (i.advmss) out += ` advmss:${i.advmss}`;
  const cwnd = packets(i.cwnd, i.mss);
  if (cwnd) out += ` cwnd:${cwnd}`;
  const ssthresh = packets(finite(i.ssthresh), i.mss);
  if (ssthresh !== undefined && ssthresh < 0xffff) out += ` ssthresh:${ssthresh}`;
  if (i.bytesSent) out += ` bytes_sent:${i.bytesSent}`;
  if (i.bytesAcked) out += ` bytes_acked:${i.bytesAcked}`;
  if (i.bytesReceived) out += ` bytes_received:${i.bytesReceived}`;
  if (i.segsOut) out += ` segs_out:${i.segsOut}`;
  if (i.segsIn) out += ` segs_in:${i.segsIn}`;
  // tcp_show_info: cwnd × mss × 8 / srtt, in bits per second.
  if (srtt !== undefined && srtt > 0 && cwnd && i.mss) out += ` send ${((cwnd * i.mss * 8000) / srtt).toFixed(0)}bps`;
  if (i.retransSegs) out += ` retrans:0/${i.retransSegs}`;
  const rcvRtt = finite(i.rcvRtt);
  if (rcvRtt) out += ` rcv_rtt:${printfG(rcvRtt)}`;
  if (i.rcvSpace) out += ` rcv_space:${i.rcvSpace}`;
  if (i.rcvSsthresh) out += ` rcv_ssthresh:${i.rcvSsthresh}`;
  if (i.sndWnd) out += ` snd_wnd:${i.sndWnd}`;
  return out;
}

function finite(x: number | null | undefined): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

function packets(bytes: number | undefined, mss: number): number | undefined {
  if (bytes === undefined || !mss) return undefined;
  return Math.max(1, Math.floor(bytes / mss));
}
