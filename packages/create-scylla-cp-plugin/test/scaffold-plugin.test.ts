import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { EXAMPLE_DIR, readExample, renderModule } from '../scripts/embed-template.mjs';
import { TEMPLATE_FILES, main, renderPluginTemplate, scaffoldPlugin } from '../src/index.js';

const temps: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'scaffold-'));
  temps.push(d);
  return d;
};
afterEach(() => {
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('the template and examples/plugin-example cannot drift', () => {
  it('the embedded template is exactly examples/plugin-example (run `npm run embed-template -w create-scylla-cp-plugin` after changing the example)', () => {
    const fromExample = readExample() as Record<string, string>;
    expect(Object.keys(TEMPLATE_FILES).sort()).toEqual(Object.keys(fromExample).sort());
    for (const [file, content] of Object.entries(fromExample)) expect(TEMPLATE_FILES[file], file).toBe(content);
    expect(fs.readFileSync(new URL('../src/template-files.ts', import.meta.url), 'utf8')).toBe(renderModule(fromExample));
  });

  it('scaffolding scylla-cp-plugin-example reproduces the example byte for byte', () => {
    const dir = path.join(tempDir(), 'scylla-cp-plugin-example');
    const result = scaffoldPlugin({ directory: dir });
    expect(result.files).toContain('test/snapshot-everywhere-task.test.ts');
    for (const file of result.files) expect(fs.readFileSync(path.join(dir, file), 'utf8'), file).toBe(fs.readFileSync(path.join(EXAMPLE_DIR, file), 'utf8'));
  });
});

describe('a scaffolded plugin is a standalone package', () => {
  const files = renderPluginTemplate('@acme/scylla-cp-plugin-banner');
  const pkg = JSON.parse(files['package.json']!);

  it('pins TypeScript 5 and carries its own build and test tools; core is a peer', () => {
    expect(pkg.name).toBe('@acme/scylla-cp-plugin-banner');
    expect(pkg.devDependencies.typescript).toMatch(/^~5\.\d+\.\d+$/);
    for (const dep of ['tsup', 'vitest', '@scylla-cp/testing', '@scylla-cp/core', '@types/node']) expect(pkg.devDependencies[dep], dep).toBeDefined();
    expect(pkg.peerDependencies['@scylla-cp/core']).toMatch(/^\^0\./);
    expect(pkg.scripts).toMatchObject({ build: 'tsup', test: 'vitest run' });
    expect(JSON.parse(files['tsconfig.json']!).extends).toBeUndefined();
  });

  it('has a node task, a cluster task and a condition, each with a test that uses @scylla-cp/testing', () => {
    const index = files['src/index.ts']!;
    expect(index).toContain("name: '@acme/scylla-cp-plugin-banner'");
    for (const section of ['nodeTasks', 'clusterTasks', 'conditions']) expect(index).toContain(`${section}: {`);
    const tests = Object.keys(files).filter((f) => f.startsWith('test/'));
    expect(tests.sort()).toEqual(['test/maintenance-banner-task.test.ts', 'test/scylla-uptime-at-least.test.ts', 'test/snapshot-everywhere-task.test.ts']);
    for (const t of tests) expect(files[t]).toContain("from '@scylla-cp/testing'");
    expect(Object.values(files).join('\n')).not.toContain('{{name}}');
  });
});

describe('the command', () => {
  const io = (cwd: string) => {
    const out = { stdout: '', stderr: '' };
    return { out, io: { cwd, stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) } } };
  };

  it('creates the folder and prints the next steps', async () => {
    const cwd = tempDir();
    const { out, io: i } = io(cwd);
    expect(await main(['my-plugin'], i)).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(cwd, 'my-plugin/package.json'), 'utf8')).name).toBe('my-plugin');
    expect(out.stdout).toContain('cd my-plugin\n  npm install');
  });

  it('refuses a non-empty folder and a bad name, writing nothing (exit 2)', async () => {
    const cwd = tempDir();
    fs.mkdirSync(path.join(cwd, 'taken'));
    fs.writeFileSync(path.join(cwd, 'taken/keep.txt'), 'mine');
    const a = io(cwd);
    expect(await main(['taken'], a.io)).toBe(2);
    expect(a.out.stderr).toMatch(/taken is not empty: choose a new folder name/);
    expect(fs.readdirSync(path.join(cwd, 'taken'))).toEqual(['keep.txt']);
    const b = io(cwd);
    expect(await main(['ok-dir', '--name', 'Bad Name'], b.io)).toBe(2);
    expect(b.out.stderr).toMatch(/"Bad Name" is not a valid npm package name/);
    expect(fs.existsSync(path.join(cwd, 'ok-dir'))).toBe(false);
    const c = io(cwd);
    expect(await main([], c.io)).toBe(2);
    expect(c.out.stderr).toMatch(/the directory is missing/);
  });
});

describe("the root README's \"Writing a task plugin\" section", () => {
  it('is the exact sequence the registry end-to-end test runs, with the same files', async () => {
    const journey = await import('./support/user-journey.js');
    const readme = fs.readFileSync(path.join(EXAMPLE_DIR, '../../README.md'), 'utf8');
    const start = readme.indexOf('## Writing a task plugin');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 3));
    const blocks = [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], text: m[2] }));
    expect(blocks.find((b) => b.lang === 'sh')?.text).toBe(`${journey.readmeShellBlock()}\n`);
    expect(blocks.find((b) => b.lang === 'yaml')?.text).toBe(journey.WORKFLOW_YAML);
    expect(blocks.find((b) => b.lang === 'ts')?.text).toBe(journey.SCRIPT_TS);
    expect(blocks.find((b) => b.lang === 'json')?.text).toBe(journey.OPS_TSCONFIG);
  });
});
