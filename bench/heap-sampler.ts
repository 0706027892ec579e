// Preload (`node --import <this file>?out=FILE`) for a sampling heap profile that keeps the objects
// the garbage collector already took: it shows where a process allocates, not only what it
// keeps (`node --heap-prof` reports survivors only, and a connection-rate run's garbage is
// almost all short-lived). The profile is written to FILE at exit, for Chrome DevTools' Memory
// tab or `node dist/bench/profile-summary.js FILE`. `npm run bench -- --heap-profile DIR` loads
// it into the tcplab server; add `--no-turbo-inlining` by hand to charge allocations to the
// function that makes them rather than the one it was inlined into.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const out = new URL(import.meta.url).searchParams.get('out');
if (out !== null && out !== '') {
  const session = new Session();
  session.connect();
  session.post('HeapProfiler.enable');
  session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  process.on('exit', () => {
    // A session on the process's own thread answers synchronously, so this runs before exit.
    session.post('HeapProfiler.stopSampling', (err, result) => {
      if (err === null) writeFileSync(out, JSON.stringify(result.profile));
      else process.stderr.write(`heap-sampler: ${err.message}\n`);
    });
  });
}
