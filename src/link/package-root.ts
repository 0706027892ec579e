// Where tcplab is installed: the addon, the benchmarks' C programs and the scripts' results are
// found from here, whether running from src/ (vitest) or dist/ (the build).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the first directory upwards holding package.json and binding.gyp. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'binding.gyp'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the tcplab package root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
