// Runs once around the TUN project: afterwards, no test namespace and no tcplab
// device may remain anywhere (neither in the host namespace nor as a leftover netns).
import { execFileSync } from 'node:child_process';

function leftovers(): string[] {
  const found: string[] = [];
  try {
    const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const line of netns.split('\n')) {
      const name = line.split(' ')[0];
      if (name && name.startsWith('tcplab-')) found.push(`namespace ${name}`);
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
  const before = new Set(leftovers());
  return () => {
    const after = leftovers().filter((x) => !before.has(x));
    if (after.length > 0) {
      throw new Error(`the TUN suite left behind: ${after.join(', ')}`);
    }
  };
}
