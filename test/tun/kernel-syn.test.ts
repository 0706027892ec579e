// A kernel client in the namespace connects to tcplab's address: its SYN comes up
// through the addon as raw bytes and is parsed. A stock Linux SYN at MTU 1500 reads
// `win 64240 <mss 1460,sackOK,TS val ... ecr 0,nop,wscale 7>`.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TunDevice } from '../../src/link/tun-device.js';
import { IPPROTO_TCP, TCP_SYN, decodeTcpOptions, formatPacket, parsePacket, type TcpSegment } from '../../src/wire/index.js';
import { describeTun } from './harness.js';

describeTun('a kernel SYN read through the addon', (getNs) => {
  let device: TunDevice | undefined;

  beforeAll(() => {
    device = TunDevice.open({ netns: getNs().name, mtu: 1500, addresses: ['10.92.0.1/24', 'fd00:92::1/64'] });
  });
  afterAll(() => device?.close());

  async function captureSyn(address: string): Promise<{ segment: TcpSegment; line: string }> {
    const dev = device!;
    const seen = new Promise<{ segment: TcpSegment; line: string }>((resolve) => {
      dev.onBatch((batch) => {
        for (let i = 0; i < batch.count; i++) {
          const parsed = parsePacket(batch.packet(i));
          if (parsed.ok && parsed.l4.protocol === IPPROTO_TCP && parsed.l4.flags === TCP_SYN) {
            // The batch's bytes are reused after the callback: keep a parsed copy.
            const copy = parsePacket(batch.packet(i).slice());
            if (copy.ok && copy.l4.protocol === IPPROTO_TCP) resolve({ segment: copy.l4, line: formatPacket(copy) });
          }
        }
      });
    });
    // Nobody answers, so the client gives up after its timeout; the first SYN is enough.
    const client = getNs().exec(['python3', '-c', `import socket\ntry: socket.create_connection((${JSON.stringify(address)}, 8080), timeout=1.5)\nexcept OSError: pass`]);
    const result = await seen;
    await client;
    dev.pause();
    return result;
  }

  it('IPv4: win 64240, options mss 1460,sackOK,TS val … ecr 0,nop,wscale 7 in that order', async () => {
    const { segment, line } = await captureSyn('10.92.0.2');
    expect(line).toMatch(/^IP 10\.92\.0\.1\.\d+ > 10\.92\.0\.2\.8080: Flags \[S\], seq \d+, win 64240, options \[mss 1460,sackOK,TS val \d+ ecr 0,nop,wscale 7\], length 0$/);
    expect(decodeTcpOptions(segment.options).options.map((o) => o.kind)).toEqual(['mss', 'sack-permitted', 'timestamps', 'nop', 'window-scale']);
    expect([segment.window, segment.mss, segment.windowScale, segment.sackPermitted, segment.tsEcr]).toEqual([64240, 1460, 7, true, 0]);
  });

  it('IPv6: the same layout with mss 1440 and win 64800', async () => {
    device!.resume();
    const { line } = await captureSyn('fd00:92::2');
    expect(line).toMatch(/^IP6 fd00:92::1\.\d+ > fd00:92::2\.8080: Flags \[S\], seq \d+, win 64800, options \[mss 1440,sackOK,TS val \d+ ecr 0,nop,wscale 7\], length 0$/);
  });
});
