// `tcplab bench`: the end-to-end benchmarks of bench/ (kernel over veth, a C TUN relay and
// tcplab, side by side; memory per connection), as `npm run bench` runs them. They live beside
// the package's sources, not in it: this runs them from a checkout, in a process of their own.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { requirePrivileges } from './common.js';

/** dist/bench/main.js of this checkout (this file is dist/src/cli/bench.js). */
function benchMain(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'main.js');
}

export function benchCommand(): Command {
  return new Command('bench')
    .description('end-to-end benchmarks: tcplab next to the kernel and a C TUN relay, in private namespaces (under 5 minutes; --seconds 10 for 10-second windows, about 13 minutes)')
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption(false)
    .argument('[options...]', 'passed on: --runs N --seconds S --warmup S --only e2e,memory,tun-read,tun-drain --configs mtu1500,offload,jumbo --systems kernel,relay,tcplab --measures bulk-in,bulk-out,crr,rr --large-mtu N --connections N --profile DIR --heap-profile DIR --writer-thread auto|off|SPIN_US --rr-cpu N|off')
    .action(async (args: string[]) => {
      const main = benchMain();
      if (!existsSync(main)) {
        process.stderr.write(`tcplab bench: ${main} is missing: the benchmarks run from a checkout of tcplab (npm install, then npm run bench)\n`);
        process.exit(1);
      }
      requirePrivileges();
      const child = spawn(process.execPath, [main, ...args], { stdio: 'inherit' });
      const code = await new Promise<number>((resolve) => child.on('close', (c, signal) => resolve(c ?? (signal ? 128 : 1))));
      process.exit(code);
    });
}
