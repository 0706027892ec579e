// The first proof that packets cross both ways: the kernel pings tcplab's addresses
// through a TUN device, and tcplab's stack answers.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TunLink } from '../../src/link/tun-link.js';
import { RealClock } from '../../src/net/clock.js';
import { StackDriver } from '../../src/net/driver.js';
import { Stack } from '../../src/stack/stack.js';
import { describeTun } from './harness.js';

describeTun('ping through the TUN device', (getNs) => {
  let link: TunLink | undefined;
  let driver: StackDriver | undefined;
  let stack: Stack;

  beforeAll(() => {
    link = TunLink.open({ netns: getNs().name, addresses: ['10.91.0.1/24', 'fd00:91::1/64'] });
    stack = new Stack({ addresses: ['10.91.0.2', 'fd00:91::2'] });
    driver = new StackDriver(stack, link, new RealClock());
  });
  afterAll(() => {
    driver?.close();
    link?.close();
  });

  it('answers 3 of 3 IPv4 pings', async () => {
    const out = await getNs().run(['ping', '-c', '3', '-i', '0.2', '-W', '2', '10.91.0.2']);
    expect(out).toMatch(/3 packets transmitted, 3 received, 0% packet loss/);
    expect(stack.counters.get('IcmpOutEchoReps')).toBe(3);
  });

  it('answers 3 of 3 IPv6 pings', async () => {
    const out = await getNs().run(['ping', '-6', '-c', '3', '-i', '0.2', '-W', '2', 'fd00:91::2']);
    expect(out).toMatch(/3 packets transmitted, 3 received, 0% packet loss/);
    expect(stack.counters.get('Icmp6OutEchoReplies')).toBe(3);
  });

  it('refuses a TCP connection to a port with no listener (RST, the kernel says ECONNREFUSED)', async () => {
    const result = await getNs().exec([
      'python3',
      '-c',
      'import socket\ntry:\n  socket.create_connection(("10.91.0.2", 80), timeout=3)\nexcept OSError as e:\n  print(type(e).__name__)',
    ]);
    expect(result.stdout.trim()).toBe('ConnectionRefusedError');
    expect(stack.counters.get('TcpOutRsts')).toBeGreaterThanOrEqual(1);
  });
});
