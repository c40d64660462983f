// Every package under packages/ is publishable as it stands: the tarball `npm pack` makes holds
// dist (code and types), README and LICENSE only; the manifest's exports/types/engines/files are
// right; versions of our own packages are real ranges; plugin-facing packages take core as a peer;
// and publint and Are the Types Wrong (attw) find nothing wrong.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { cleanEnv, run } from './support/run-command.js';

const REPO = path.resolve(__dirname, '../../..');
/** Packages whose code plugins import at run time: they must share the CLI's copy of core. */
const PLUGIN_FACING = ['@scylla-cp/conditions', '@scylla-cp/tasks-scylla', '@scylla-cp/sim', '@scylla-cp/testing'];

const dirs = fs
  .readdirSync(path.join(REPO, 'packages'))
  .filter((d) => fs.existsSync(path.join(REPO, 'packages', d, 'package.json')))
  .sort();
const manifestOf = (d: string) => JSON.parse(fs.readFileSync(path.join(REPO, 'packages', d, 'package.json'), 'utf8'));

let tmp: string;
const tarballs = new Map<string, { file: string; files: string[] }>();

beforeAll(async () => {
  for (const d of dirs) {
    if (!fs.existsSync(path.join(REPO, 'packages', d, 'dist/index.d.ts'))) {
      throw new Error(`packages/${d} is not built (dist/index.d.ts missing): run \`npm run build\` first (\`npm test\` does)`);
    }
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scylla-cp-pack-'));
  const packed = await run(['npm', 'pack', ...dirs.flatMap((d) => ['-w', `packages/${d}`]), '--pack-destination', tmp, '--json'], {
    cwd: REPO,
    env: cleanEnv({}),
  });
  for (const p of JSON.parse(packed.stdout) as { name: string; filename: string; files: { path: string }[] }[]) {
    tarballs.set(p.name, { file: path.join(tmp, p.filename), files: p.files.map((f) => f.path) });
  }
}, 180_000);
afterAll(() => tmp && fs.rmSync(tmp, { recursive: true, force: true }));

describe.each(dirs)('packages/%s', (dir) => {
  it('packs dist (ESM, CJS and their types), README and LICENSE, and nothing else', () => {
    const m = manifestOf(dir);
    const { files } = tarballs.get(m.name)!;
    const bin = new Set(Object.values((m.bin ?? {}) as Record<string, string>).map((b) => b.replace(/^\.\//, '')));
    for (const f of files) {
      expect(f.startsWith('dist/') || ['package.json', 'README.md', 'LICENSE'].includes(f) || bin.has(f), `${m.name} ships ${f}`).toBe(true);
    }
    expect(files).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']));
  });

  it('declares license, engines, public access, types-first exports and real ranges for our packages', () => {
    const m = manifestOf(dir);
    expect(m.license).toBe('Apache-2.0');
    expect(m.engines?.node).toMatch(/^>=20/);
    expect(m.private).toBeUndefined();
    expect(m.publishConfig?.access).toBe('public');
    expect(m.types).toBe('./dist/index.d.ts');
    expect(Object.keys(m.exports['.'].import)[0]).toBe('types');
    expect(Object.keys(m.exports['.'].require)[0]).toBe('types');
    for (const kind of ['dependencies', 'peerDependencies', 'devDependencies']) {
      for (const [dep, range] of Object.entries((m[kind] ?? {}) as Record<string, string>)) {
        if (dep.startsWith('@scylla-cp/') || dep === 'create-scylla-cp-plugin') expect(range, `${m.name} ${kind} ${dep}`).toMatch(/^\^\d+\.\d+\.\d+$/);
      }
    }
    if (PLUGIN_FACING.includes(m.name)) {
      expect(m.peerDependencies?.['@scylla-cp/core'], `${m.name} must take core as a peer`).toMatch(/^\^/);
      expect(m.dependencies?.['@scylla-cp/core']).toBeUndefined();
    }
    for (const b of Object.values((m.bin ?? {}) as Record<string, string>)) {
      expect(fs.readFileSync(path.join(REPO, 'packages', dir, b), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    }
  });

  it('passes publint (no errors, no warnings)', async () => {
    const m = manifestOf(dir);
    const data = fs.readFileSync(tarballs.get(m.name)!.file);
    const tarball = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
    const result = await publint({ pack: { tarball }, level: 'warning', strict: true });
    const messages = result.messages.map((msg) => `${msg.type}: ${formatMessage(msg, result.pkg)}`);
    expect(messages).toEqual([]);
  });

  it('passes Are the Types Wrong (node10, node16 from CJS and ESM, bundler)', async () => {
    const m = manifestOf(dir);
    const r = await run([path.join(REPO, 'node_modules/.bin/attw'), tarballs.get(m.name)!.file, '--format', 'ascii'], {
      cwd: tmp,
      env: cleanEnv({ NO_COLOR: '1' }),
      allowFailure: true,
      timeoutMs: 120_000,
    });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/No problems found/);
  });
});
