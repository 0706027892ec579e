/**
 * Every arc of RFC 9293 §3.3.2's state diagram (figure 5), one test each, checked through the
 * state-change events ({from, to, cause, at}). The details of each arc are tested in the other
 * files; this one is the checklist.
 */
import { describe, expect, test } from 'vitest';
import { closeWait, closing, established, finWait1, finWait2, IRS, ISS, lastAck, type Rig, synReceived, synSent, timeWait } from './harness/index.js';

function last(r: Rig): string {
  return r.transitions().at(-1) ?? '';
}

describe('RFC 9293 figure 5, arc by arc', () => {
  test('CLOSED → SYN-SENT: active OPEN / snd SYN', () => {
    expect(synSent().transitions()).toEqual(['CLOSED>SYN-SENT']);
  });

  test('LISTEN → SYN-RECEIVED: rcv SYN / snd SYN,ACK (the listener is the stack)', () => {
    expect(synReceived().transitions()).toEqual(['LISTEN>SYN-RECEIVED']);
  });

  test('SYN-SENT → ESTABLISHED: rcv SYN,ACK / snd ACK', () => {
    expect(last(established())).toBe('SYN-SENT>ESTABLISHED');
  });

  test('SYN-SENT → SYN-RECEIVED: rcv SYN / snd SYN,ACK (simultaneous open)', () => {
    const r = synSent();
    r.inject({ flags: 'S', seq: IRS, mss: 1460 });
    expect(last(r)).toBe('SYN-SENT>SYN-RECEIVED');
    expect(r.out()).toHaveLength(1);
  });

  test('SYN-SENT → CLOSED: CLOSE / delete TCB', () => {
    const r = synSent();
    r.close();
    expect(last(r)).toBe('SYN-SENT>CLOSED');
  });

  test('SYN-SENT → CLOSED: RST with an acceptable ACK; and on timeout', () => {
    const r = synSent();
    r.inject({ flags: 'R.', seq: 0, ack: ISS + 1 });
    expect(last(r)).toBe('SYN-SENT>CLOSED');
    const t = synSent();
    t.advance(200_000);
    expect(last(t)).toBe('SYN-SENT>CLOSED');
  });

  test('SYN-RECEIVED → ESTABLISHED: rcv ACK of SYN', () => {
    const r = synReceived();
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1 });
    expect(last(r)).toBe('SYN-RECEIVED>ESTABLISHED');
  });

  test('SYN-RECEIVED → LISTEN: rcv RST (the connection ends quietly, the listener stays)', () => {
    const r = synReceived();
    r.inject({ flags: 'R', seq: IRS + 1 });
    expect(last(r)).toBe('SYN-RECEIVED>CLOSED');
    expect(r.c.error).toBeUndefined();
  });

  test('SYN-RECEIVED → FIN-WAIT-1: CLOSE / snd FIN (queued until the handshake completes, as §3.10.4 allows)', () => {
    const r = synReceived();
    r.shutdown();
    r.inject({ flags: '.', seq: IRS + 1, ack: ISS + 1 });
    expect(r.transitions().slice(-2)).toEqual(['SYN-RECEIVED>ESTABLISHED', 'ESTABLISHED>FIN-WAIT-1']);
  });

  test('ESTABLISHED → FIN-WAIT-1: CLOSE / snd FIN', () => {
    expect(last(finWait1())).toBe('ESTABLISHED>FIN-WAIT-1');
  });

  test('ESTABLISHED → CLOSE-WAIT: rcv FIN / snd ACK', () => {
    expect(last(closeWait())).toBe('ESTABLISHED>CLOSE-WAIT');
  });

  test('FIN-WAIT-1 → FIN-WAIT-2: rcv ACK of FIN', () => {
    expect(last(finWait2())).toBe('FIN-WAIT-1>FIN-WAIT-2');
  });

  test('FIN-WAIT-1 → CLOSING: rcv FIN / snd ACK', () => {
    expect(last(closing())).toBe('FIN-WAIT-1>CLOSING');
  });

  test('FIN-WAIT-1 → TIME-WAIT: rcv FIN and ACK of FIN / snd ACK', () => {
    const r = finWait1();
    r.inject({ flags: 'F.', seq: IRS + 1, ack: ISS + 2 });
    expect(r.transitions().slice(-2)).toEqual(['FIN-WAIT-1>FIN-WAIT-2', 'FIN-WAIT-2>TIME-WAIT']);
  });

  test('FIN-WAIT-2 → TIME-WAIT: rcv FIN / snd ACK', () => {
    expect(last(timeWait())).toBe('FIN-WAIT-2>TIME-WAIT');
  });

  test('CLOSING → TIME-WAIT: rcv ACK of FIN', () => {
    const r = closing();
    r.inject({ flags: '.', seq: IRS + 2, ack: ISS + 2 });
    expect(last(r)).toBe('CLOSING>TIME-WAIT');
  });

  test('CLOSE-WAIT → LAST-ACK: CLOSE / snd FIN', () => {
    expect(last(lastAck())).toBe('CLOSE-WAIT>LAST-ACK');
  });

  test('LAST-ACK → CLOSED: rcv ACK of FIN', () => {
    const r = lastAck();
    r.inject({ flags: '.', seq: IRS + 2, ack: ISS + 2 });
    expect(last(r)).toBe('LAST-ACK>CLOSED');
  });

  test('TIME-WAIT → CLOSED: timeout = 2MSL', () => {
    const r = timeWait();
    r.advance(60_000);
    expect(last(r)).toBe('TIME-WAIT>CLOSED');
  });

  test('SYN-RECEIVED + ACK,FIN: ESTABLISHED then CLOSE-WAIT in one segment', () => {
    const r = synReceived();
    r.inject({ flags: 'F.', seq: IRS + 1, ack: ISS + 1 });
    expect(r.transitions().slice(-2)).toEqual(['SYN-RECEIVED>ESTABLISHED', 'ESTABLISHED>CLOSE-WAIT']);
  });

  test('every event carries the time it happened', () => {
    const r = timeWait();
    const t0 = r.now;
    r.advance(60_000);
    expect(r.events.at(-1)).toMatchObject({ type: 'state', at: t0 + 60_000, cause: 'timeout' });
  });
});
