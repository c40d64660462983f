// Structure of every package's src (issue 18: no import cycle inside a package; type-only imports
// count, since a type cycle is still two files that cannot be read apart), found by walking the
// import graph parsed from the sources. It lives with the CLI's tests, whose walker it uses.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { importCycles, importGraph } from './import-graph.js';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const fixtures = fs.mkdtempSync(path.join(os.tmpdir(), 'scylla-cp-import-graph-'));
afterAll(() => fs.rmSync(fixtures, { recursive: true, force: true }));

/** Writes `files` (relative path → text) into a fresh folder and returns it. */
function tree(name: string, files: Record<string, string>): string {
  const dir = path.join(fixtures, name);
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

describe('the import graph walker', () => {
  it('finds a cycle through a type-only import spread over lines, a re-export and a folder index', () => {
    const dir = tree('cycle', {
      'main.ts': "import { b } from './cmd/b.js';\nexport const a = 1;\n",
      'cmd/b.ts': "import type {\n  C,\n} from '../lib';\nexport const b = 2;\n",
      'lib/index.ts': "export * from '../main.js';\nexport interface C { x: number }\n",
      'leaf.ts': "import fs from 'node:fs';\n// import { a } from './main.js';\nexport const leaf = fs;\n",
    });
    const graph = importGraph(dir);
    expect(graph.get('cmd/b.ts')).toEqual(['lib/index.ts']);
    expect(graph.get('leaf.ts')).toEqual([]);
    expect(importCycles(graph)).toEqual([['cmd/b.ts', 'lib/index.ts', 'main.ts', 'cmd/b.ts']]);
  });

  it('reports no cycle in an acyclic tree, and refuses an import it cannot resolve', () => {
    expect(importCycles(importGraph(tree('dag', { 'a.ts': "import './b.js';\nimport('./c.js');\n", 'b.ts': "import { c } from './c.js';\n", 'c.ts': 'export const c = 1;\n' })))).toEqual([]);
    expect(() => importGraph(tree('broken', { 'a.ts': "import { gone } from './gone.js';\n" }))).toThrow(/a\.ts: cannot resolve the import '\.\/gone\.js'/);
  });
});

describe('packages/cli/src', () => {
  it('has no import cycles', () => {
    const graph = importGraph(SRC);
    // the walker sees the sources and their imports (so an empty answer means something)
    expect(graph.get('main.ts')).toContain('cli-context.ts');
    expect(graph.get('index.ts')).toContain('main.ts');
    const cycles = importCycles(graph).map((c) => c.join(' → '));
    expect(cycles, `import cycles in packages/cli/src:\n${cycles.join('\n')}`).toEqual([]);
  });
});

describe('every package of the repository', () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const srcDirs = ['packages', 'examples'].flatMap((top) =>
    fs
      .readdirSync(path.join(root, top), { withFileTypes: true })
      .filter((e) => e.isDirectory() && fs.existsSync(path.join(root, top, e.name, 'src')))
      .map((e) => `${top}/${e.name}/src`),
  );

  it('finds the packages (so an empty answer means something)', () => {
    expect(srcDirs).toEqual(expect.arrayContaining(['packages/core/src', 'packages/raft/src', 'packages/sim/src', 'packages/server/src', 'examples/raft-kv/src']));
  });

  it.each(srcDirs)('%s has no import cycles', (dir) => {
    const graph = importGraph(path.join(root, dir));
    expect(graph.size).toBeGreaterThan(0);
    const cycles = importCycles(graph).map((c) => c.join(' → '));
    expect(cycles, `import cycles in ${dir}:\n${cycles.join('\n')}`).toEqual([]);
  });
});
