// Runs once around the TUN project: afterwards, no namespace this run created and no tcplab
// device may remain (neither in the host namespace nor as a leftover netns). The run tags its
// namespaces through TCPLAB_NETNS_TAG (src/lab/netns.ts), which the test processes inherit, so
// other tcplab runs on the same machine neither hide a leak nor cause a false one.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

const TAG = `r${randomBytes(3).toString('hex')}`;

function leftovers(): string[] {
  const found: string[] = [];
  try {
    const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const line of netns.split('\n')) {
      const name = line.split(' ')[0];
      if (name && name.startsWith('tcplab-') && name.includes(`${TAG}-`)) found.push(`namespace ${name}`);
    }
    const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    for (const line of links.split('\n')) {
      const m = /^\d+: ([^:@]+)/.exec(line);
      if (m && m[1]?.startsWith('tcplab')) found.push(`device ${m[1]} in the host namespace`);
    }
  } catch {
    // no iproute2: nothing could have been created either
  }
  return found;
}

export default function setup(): () => void {
  process.env.TCPLAB_NETNS_TAG = TAG;
  const before = new Set(leftovers());
  return () => {
    const after = leftovers().filter((x) => !before.has(x));
    if (after.length > 0) {
      throw new Error(`the TUN suite left behind: ${after.join(', ')}`);
    }
  };
}
