import { describe, expect, it } from 'vitest';
import { ReceiveBuffer } from '../../../../src/tcp/buffers/receive-buffer.js';
import { SendBuffer } from '../../../../src/tcp/buffers/send-buffer.js';
import { seqAdd } from '../../../../src/wire/seq.js';

/**
 * 100 MB through a send buffer and a receive buffer, segment by segment, as a connection would
 * move it: write what fits, copy MSS-sized segments out, insert them (every 16th segment held
 * back and delivered after the next one, so reassembly runs), read, acknowledge. Linear work:
 * a quadratic copy anywhere would take minutes, not the fraction of a second measured here.
 */
describe('buffers under volume', () => {
  it('streams 100 MB through SendBuffer and ReceiveBuffer in order, quickly', () => {
    const total = 100 * 1024 * 1024;
    const mss = 1460;
    const send = new SendBuffer(256 * 1024);
    const recv = new ReceiveBuffer(256 * 1024, 0xffff0000); // crosses the 2^32 wrap early on
    const chunk = new Uint8Array(64 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31 + 7) & 0xff;
    const segment = new Uint8Array(mss);
    const held = new Uint8Array(mss);
    const readBuf = new Uint8Array(128 * 1024);
    let written = 0;
    let sent = 0; // stream offsets: SND.NXT - ISS - 1, and `acked` is SND.UNA - ISS - 1
    let acked = 0;
    let received = 0;
    let checksum = 0;
    let expected = 0;
    let heldSeq = -1;
    let heldLength = 0;
    let segments = 0;

    const started = performance.now();
    while (received < total) {
      // The application writes (backpressure: what fits).
      while (written < total && send.free > 0) {
        const from = written % chunk.length;
        const n = send.write(chunk.subarray(from, Math.min(chunk.length, from + total - written)));
        written += n;
      }
      // Send what the receiver's window allows.
      const limit = acked + recv.window();
      while (sent < written && sent < limit) {
        const n = send.copyTo(sent - acked, segment, 0, Math.min(mss, written - sent, limit - sent));
        const seq = seqAdd(0xffff0000, sent);
        sent += n;
        segments++;
        if (segments % 16 === 0 && heldSeq < 0) {
          // Reordered: this one arrives after the next.
          held.set(segment.subarray(0, n));
          heldSeq = seq;
          heldLength = n;
          continue;
        }
        recv.insert(seq, segment.subarray(0, n));
        if (heldSeq >= 0) {
          recv.insert(heldSeq, held.subarray(0, heldLength));
          heldSeq = -1;
        }
      }
      if (heldSeq >= 0 && sent === written) {
        recv.insert(heldSeq, held.subarray(0, heldLength));
        heldSeq = -1;
      }
      // The application reads; the cumulative ACK frees the send buffer.
      for (;;) {
        const n = recv.readInto(readBuf);
        if (n === 0) break;
        for (let i = 0; i < n; i += 4093) {
          // Spot-check the bytes (a full compare would measure the test, not the buffers).
          const pos = (received + i) % chunk.length;
          checksum += readBuf[i] === chunk[pos] ? 1 : 0;
          expected++;
        }
        received += n;
      }
      const ackTo = (recv.rcvNxt - 0xffff0000) >>> 0;
      // 100 MB < 2^32: the offset is exact.
      send.acknowledge(ackTo - acked);
      acked = ackTo;
    }
    const elapsed = performance.now() - started;

    expect(received).toBe(total);
    expect(checksum).toBe(expected);
    expect(send.length).toBe(0);
    expect(recv.readable).toBe(0);
    expect(recv.hasOutOfOrder).toBe(false);
    expect(send.allocated).toBeLessThanOrEqual(256 * 1024);
    expect(recv.allocated).toBeLessThanOrEqual(256 * 1024);
    // Typically ~40 ms (about four memcpy of the volume); generous for slow CI machines.
    expect(elapsed).toBeLessThan(3000);
  });
});
