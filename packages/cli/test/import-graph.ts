// A regex parse of the relative imports of TypeScript sources, and the cycles in that graph
// (for the structure test of packages/cli/src; harness code, not product code).
import fs from 'node:fs';
import path from 'node:path';

/** Every `.ts` file under `dir`, as paths relative to it with `/` separators, sorted. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.name.endsWith('.ts')) out.push(r);
    }
  };
  walk('');
  return out.sort();
}

// `import x from '…'`, `import type { … } from '…'` (over several lines), `export * from '…'`,
// `export { … } from '…'`, `import '…'`, `import('…')`.
const SPECIFIER = /(?:\b(?:import|export)\b[^'"`;]*?\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g;

/**
 * The import graph of the `.ts` files under `dir`: per file (relative path),
 * the files under `dir` it imports (relative specifiers only; `./x.js` is
 * `x.ts`, `./x` is `x.ts` or `x/index.ts`). Type-only imports count.
 */
export function importGraph(dir: string): Map<string, string[]> {
  const files = new Set(sourceFiles(dir));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, '');
    const deps = new Set<string>();
    for (const m of text.matchAll(SPECIFIER)) {
      const spec = m[1]!;
      if (!spec.startsWith('.')) continue;
      const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '');
      if (base.startsWith('../')) continue; // outside dir (another package's sources): not part of this graph
      const target = [`${base}.ts`, `${base}/index.ts`].find((c) => files.has(c));
      if (target === undefined) throw new Error(`${file}: cannot resolve the import '${spec}' to a file under ${dir}`);
      deps.add(target);
    }
    graph.set(file, [...deps].sort());
  }
  return graph;
}

/** The cycles of `graph`, each as the files along it with the first repeated at the end (`a → b → a`); one per strongly connected group. */
export function importCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d]);
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of [...graph.keys()].sort()) if (!state.has(f)) visit(f);
  return cycles;
}
