import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ChurnMap, ChurnSet } from '../../../src/stack/churn-map.js';

type Op = { kind: 'set'; key: number; value: number } | { kind: 'delete'; key: number } | { kind: 'clear' };

const ops = fc.array(
  fc.oneof(
    { weight: 10, arbitrary: fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 40 }), value: fc.integer() }) },
    { weight: 10, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 40 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
  ),
  { maxLength: 3000 },
);

describe('ChurnMap', () => {
  it('answers as a Map does through any sequence of sets, deletes and clears, insertion order included', () => {
    fc.assert(
      fc.property(ops, (sequence: Op[]) => {
        const map = new ChurnMap<number, number>();
        const model = new Map<number, number>();
        for (const op of sequence) {
          if (op.kind === 'set') {
            expect(map.set(op.key, op.value)).toBe(map);
            model.set(op.key, op.value);
          } else if (op.kind === 'delete') {
            expect(map.delete(op.key)).toBe(model.delete(op.key));
          } else {
            map.clear();
            model.clear();
          }
          expect(map.size).toBe(model.size);
        }
        expect([...map]).toEqual([...model]);
        expect([...map.keys()]).toEqual([...model.keys()]);
        expect([...map.values()]).toEqual([...model.values()]);
        const visited: [number, number][] = [];
        map.forEach((value, key, self) => {
          expect(self).toBe(map);
          visited.push([key, value]);
        });
        expect(visited).toEqual([...model]);
        for (let key = 0; key <= 40; key++) {
          expect(map.get(key)).toBe(model.get(key));
          expect(map.has(key)).toBe(model.has(key));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('lets an iteration delete as it goes, past the point where a Map would be rebuilt', () => {
    const map = new ChurnMap<number, string>();
    // 300 deletions since the start: the next insertion rebuilds.
    for (let k = 0; k < 300; k++) map.set(k, `gone ${k}`);
    for (let k = 0; k < 300; k++) map.delete(k);
    for (let k = 0; k < 10; k++) map.set(1000 + k, `v${k}`);
    const seen: number[] = [];
    for (const [key] of map) {
      seen.push(key);
      map.delete(key + 1); // deletes the next entry before the iteration reaches it
    }
    expect(seen).toEqual([1000, 1002, 1004, 1006, 1008]);
    expect([...map.keys()]).toEqual(seen);
  });

  it('keeps short-lived entries out of the old generation once the map itself is old', () => {
    // The reason the class exists (src/stack/churn-map.ts): a long-lived V8 Map churned with
    // short-lived entries promotes them all. Each table is churned in a node of its own, with
    // V8's GC trace: 100,000 insertions and deletions with 8 entries live, after the table has
    // aged into the old generation; the trace's `promoted` bytes are summed.
    const dir = mkdtempSync(join(tmpdir(), 'tcplab-churn-'));
    try {
      const source = readFileSync(fileURLToPath(new URL('../../../src/stack/churn-map.ts', import.meta.url)), 'utf8');
      writeFileSync(join(dir, 'churn-map.mjs'), ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText);
      writeFileSync(
        join(dir, 'churn.mjs'),
        `import { ChurnMap } from './churn-map.mjs';
        const table = process.argv[2] === 'ChurnMap' ? new ChurnMap() : new Map();
        const entry = (k) => ({ k, parts: Array.from({ length: 32 }, (_, i) => ({ i })) });
        for (let k = 0; k < 8; k++) table.set(k, entry(k));
        gc();
        gc();
        const fullEvery = Number(process.argv[3]);
        for (let k = 8; k < 100008; k++) {
          table.set(k, entry(k));
          table.delete(k - 8);
          if (fullEvery > 0 && k % fullEvery === 0) gc(); // promotes the live table: a chain starts
        }`,
      );
      const promoted = (kind: string, fullEvery = 0): { promoted: number; allocated: number } => {
        const trace = execFileSync(process.execPath, ['--expose-gc', '--trace-gc-nvp', join(dir, 'churn.mjs'), kind, String(fullEvery)], { encoding: 'utf8' });
        let promotedBytes = 0;
        let allocated = 0;
        for (const line of trace.split('\n')) {
          if (!line.includes(' gc=s ')) continue;
          promotedBytes += Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0);
          allocated += Number(/ allocated=(\d+)/.exec(line)?.[1] ?? 0);
        }
        return { promoted: promotedBytes, allocated };
      };
      const map = promoted('Map');
      const churnMap = promoted('ChurnMap');
      expect(churnMap.allocated).toBeGreaterThan(20e6);
      // The control: on this V8 a plain Map promotes a good part of what was allocated (if this
      // fails, V8 no longer keeps a Map's replaced tables chained, and ChurnMap may go).
      expect(map.promoted / map.allocated).toBeGreaterThan(0.1);
      expect(churnMap.promoted / churnMap.allocated).toBeLessThan(0.01);
      // A full collection every 5,000 insertions: each promotes the live table, whose successors
      // then chain until the next rebuild.
      const withFullCollections = promoted('ChurnMap', 5000);
      expect(withFullCollections.promoted / withFullCollections.allocated).toBeLessThan(0.01);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ChurnSet', () => {
  it('answers as a Set does through any sequence of adds, deletes and clears, insertion order included', () => {
    fc.assert(
      fc.property(ops, (sequence: Op[]) => {
        const set = new ChurnSet<number>();
        const model = new Set<number>();
        for (const op of sequence) {
          if (op.kind === 'set') {
            expect(set.add(op.key)).toBe(set);
            model.add(op.key);
          } else if (op.kind === 'delete') {
            expect(set.delete(op.key)).toBe(model.delete(op.key));
          } else {
            set.clear();
            model.clear();
          }
          expect(set.size).toBe(model.size);
        }
        expect([...set]).toEqual([...model]);
        expect([...set.entries()]).toEqual([...model.entries()]);
        const visited: number[] = [];
        set.forEach((value, again, self) => {
          expect(again).toBe(value);
          expect(self).toBe(set);
          visited.push(value);
        });
        expect(visited).toEqual([...model]);
      }),
      { numRuns: 200 },
    );
  });
});
