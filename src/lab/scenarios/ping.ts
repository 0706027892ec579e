// Scenario "ping": the kernel, inside a private namespace, pings tcplab's IPv4 and IPv6
// addresses through a TUN device and tries a TCP connection to a port nobody listens
// on. tcplab answers the echoes and resets the SYN (RFC 9293 §3.10.7.1), so the
// kernel's connect() fails at once with ECONNREFUSED.
import { CaptureLink } from '../../link/capture-link.js';
import type { Link } from '../../link/link.js';
import { TunLink } from '../../link/tun-link.js';
import { RealClock } from '../../net/clock.js';
import { StackDriver } from '../../net/driver.js';
import { Stack } from '../../stack/stack.js';
import { Netns } from '../netns.js';
import type { Check, ScenarioOptions, ScenarioResult } from '../scenario.js';
import { TimelineLink } from '../timeline-link.js';

const KERNEL = { v4: '10.77.0.1', v6: 'fd00:77::1' };
const TCPLAB = { v4: '10.77.0.2', v6: 'fd00:77::2' };

export async function runPing(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const started = performance.now();
  const timeline: string[] = [];
  const checks: Check[] = [];
  const line = (text: string): void => {
    timeline.push(text);
    options.onLine?.(text);
  };
  const ns = Netns.create('tcplab-s');
  let link: Link | undefined;
  let capture: CaptureLink | undefined;
  let driver: StackDriver | undefined;
  try {
    const tun = TunLink.open({ netns: ns.name, addresses: [`${KERNEL.v4}/24`, `${KERNEL.v6}/64`] });
    link = tun;
    if (options.pcap) link = capture = new CaptureLink(link, options.pcap);
    link = new TimelineLink(link, line);
    const stack = new Stack({ addresses: [TCPLAB.v4, TCPLAB.v6] });
    driver = new StackDriver(stack, link, new RealClock());

    for (const [flag, address] of [['-4', TCPLAB.v4], ['-6', TCPLAB.v6]] as const) {
      const out = await ns.exec(['ping', flag, '-c', '3', '-i', '0.2', '-W', '2', address]);
      const summary = /(\d+) packets transmitted, (\d+) received/.exec(out.stdout);
      checks.push({
        what: `ping ${flag} ${address}: 3 replies`,
        ok: summary?.[2] === '3',
        detail: summary ? `${summary[2]} of ${summary[1]} answered` : (out.stderr.trim() || 'ping printed no summary'),
      });
    }

    const refused = await ns.exec([
      'python3',
      '-c',
      `import socket\ntry:\n  socket.create_connection((${JSON.stringify(TCPLAB.v4)}, 80), timeout=3); print("connected")\nexcept OSError as e:\n  print(type(e).__name__)`,
    ]);
    checks.push({
      what: `kernel connect() to ${TCPLAB.v4}:80, where nothing listens: ECONNREFUSED`,
      ok: refused.stdout.trim() === 'ConnectionRefusedError',
      detail: refused.stdout.trim() || refused.stderr.trim(),
    });
  } finally {
    driver?.close();
    link?.close();
    ns.destroy();
  }
  return {
    name: 'ping',
    ok: checks.every((c) => c.ok),
    checks,
    timeline,
    capture: capture ? options.pcap : undefined,
    durationMs: performance.now() - started,
  };
}
