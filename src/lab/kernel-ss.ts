// The kernel's view of its sockets, read with `ss -tan -o` inside the namespace and parsed
// into rows: how scenarios check which states the Linux end went through.

export interface KernelSocketRow {
  /** As ss prints it: ESTAB, SYN-SENT, SYN-RECV, FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT, CLOSE-WAIT,
   *  LAST-ACK, CLOSING, LISTEN. */
  readonly state: string;
  readonly recvQ: number;
  readonly sendQ: number;
  readonly local: string;
  readonly peer: string;
  /** `timer:(name,time,count)` when ss -o shows one. */
  readonly timer: { name: string; time: string; count: number } | undefined;
}

/** Parses the output of `ss -tan [-o]` (header line and all). */
export function parseSs(output: string): KernelSocketRow[] {
  const rows: KernelSocketRow[] = [];
  for (const line of output.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 5 || fields[0] === 'State') continue;
    const [state, recvQ, sendQ, local, peer, ...rest] = fields;
    if (!/^\d+$/.test(recvQ) || !/^\d+$/.test(sendQ)) continue;
    const timerText = rest.find((f) => f.startsWith('timer:('));
    const m = timerText ? /^timer:\(([^,]+),([^,]+),(\d+)\)$/.exec(timerText) : null;
    rows.push({
      state,
      recvQ: Number(recvQ),
      sendQ: Number(sendQ),
      local,
      peer,
      timer: m ? { name: m[1], time: m[2], count: Number(m[3]) } : undefined,
    });
  }
  return rows;
}

/** `addr:port` as ss prints it: IPv6 addresses in brackets. */
export function ssEndpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
