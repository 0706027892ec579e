// The tour's countdown line, from socket rows.
import { describe, expect, it } from 'vitest';
import { countdownText } from '../../../src/lab/countdown.js';
import type { SocketRow } from '../../../src/stack/socket-row.js';

function row(state: SocketRow['state'], expiresAt?: number, kind: 'on' | 'timewait' = 'timewait'): SocketRow {
  return {
    state,
    family: 4,
    local: { address: 1, port: 1 },
    remote: { address: 2, port: 2 },
    recvQ: 0,
    sendQ: 0,
    timer: expiresAt === undefined ? undefined : { kind, expiresAt, count: 0 },
    owner: 'app',
  };
}

describe('countdownText', () => {
  it('says when the last TIME-WAIT ends, and when the next retransmission fires', () => {
    const rows = [row('TIME-WAIT', 60_000), row('TIME-WAIT', 45_500), row('SYN-SENT', 3_000, 'on'), row('ESTABLISHED'), row('LISTEN', 5)];
    expect(countdownText(rows, 1_000)).toBe('TIME-WAIT ×2 ends in 59 s · SYN-SENT: timer in 2 s');
  });

  it('is empty when no timer runs', () => {
    expect(countdownText([row('ESTABLISHED'), row('CLOSE-WAIT')], 0)).toBe('');
  });
});
