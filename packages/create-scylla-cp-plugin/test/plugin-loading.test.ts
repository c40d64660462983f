import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The CLI's loader, tested here with the packaging work it serves (installs, workspaces, paths).
import { loadPlugins, resolvePlugin } from '../../cli/src/plugin-loader.js';

let root: string;
const write = (file: string, content: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
};
// A plugin without core: definePlugin's brand is a registered symbol, so any copy recognizes it.
const pluginModule = (name: string, esm = true) =>
  `${esm ? 'export default' : 'module.exports ='} Object.freeze({ name: ${JSON.stringify(name)}, version: '1.0.0', [Symbol.for('@scylla-cp/core.plugin')]: true });\n`;
const dualPackage = (dir: string, name: string) => {
  write(
    path.join(dir, 'package.json'),
    JSON.stringify({ name, version: '1.0.0', type: 'module', main: './dist/index.cjs', exports: { '.': { require: './dist/index.cjs', import: './dist/index.js' } } }),
  );
  write(path.join(dir, 'dist/index.js'), pluginModule(name));
  write(path.join(dir, 'dist/index.cjs'), pluginModule(`${name} (CommonJS copy)`, false));
};

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'plugin-loading-'));
  // an ops repository with a plugin installed from a registry, one from a workspace, one by path
  dualPackage(path.join(root, 'ops/node_modules/reg-plugin'), 'reg-plugin');
  dualPackage(path.join(root, 'ops/packages/ws-plugin'), 'ws-plugin');
  fs.symlinkSync(path.join(root, 'ops/packages/ws-plugin'), path.join(root, 'ops/node_modules/ws-plugin'), 'dir');
  dualPackage(path.join(root, 'ops/plugins/local-plugin'), 'local-plugin');
  write(path.join(root, 'ops/plugins/single-file.mjs'), pluginModule('single-file'));
  // broken ones
  write(path.join(root, 'ops/packages/unbuilt/package.json'), JSON.stringify({ name: 'unbuilt', type: 'module', exports: { '.': { import: './dist/index.js' } } }));
  fs.symlinkSync(path.join(root, 'ops/packages/unbuilt'), path.join(root, 'ops/node_modules/unbuilt'), 'dir');
  write(path.join(root, 'ops/node_modules/needs-core/package.json'), JSON.stringify({ name: 'needs-core', type: 'module', exports: './index.js' }));
  write(path.join(root, 'ops/node_modules/needs-core/index.js'), "export { definePlugin } from '@scylla-cp/core';\n");
  fs.mkdirSync(path.join(root, 'ops/config-dir'), { recursive: true });
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('plugin loading from an ops repository', () => {
  it('says where each plugin comes from: registry install, workspace, local path', () => {
    const ops = path.join(root, 'ops');
    expect(resolvePlugin('reg-plugin', ops)).toMatchObject({ origin: 'registry', entry: path.join(ops, 'node_modules/reg-plugin/dist/index.js') });
    expect(resolvePlugin('ws-plugin', ops)).toMatchObject({ origin: 'workspace', entry: path.join(ops, 'node_modules/ws-plugin/dist/index.js') });
    expect(resolvePlugin('./plugins/local-plugin', ops)).toMatchObject({ origin: 'path', entry: path.join(ops, 'plugins/local-plugin/dist/index.js') });
    // a config in a sub-folder finds packages in a parent's node_modules, as Node does
    expect(resolvePlugin('reg-plugin', path.join(ops, 'config-dir')).origin).toBe('registry');
  });

  it('loads the ESM entry of dual packages (the copy of core the CLI uses), from all three origins', async () => {
    const plugins = await loadPlugins(['reg-plugin', 'ws-plugin', './plugins/local-plugin', './plugins/single-file.mjs'], path.join(root, 'ops'));
    expect(plugins.map((p) => p.name)).toEqual(['reg-plugin', 'ws-plugin', 'local-plugin', 'single-file']);
  });

  it('errors name the specifier, the origin and the fix', async () => {
    const ops = path.join(root, 'ops');
    await expect(loadPlugins(['not-installed'], ops)).rejects.toThrow(/plugin "not-installed" cannot be found from .*: no package "not-installed" in .*node_modules.*npm install not-installed/);
    await expect(loadPlugins(['./plugins/nope'], ops)).rejects.toThrow(/plugin "\.\/plugins\/nope" \(a local path\) cannot be found: .*plugins\/nope does not exist/);
    await expect(loadPlugins(['unbuilt'], ops)).rejects.toThrow(/plugin "unbuilt" \(workspace package linked from .* to .*packages\/unbuilt\) failed to load: its entry .* does not exist; build the plugin first/);
    await expect(loadPlugins(['needs-core'], ops)).rejects.toThrow(
      /plugin "needs-core" \(installed package at .*node_modules\/needs-core\) failed to load: .*@scylla-cp\/core.*npm install @scylla-cp\/core.*peer dependencies/,
    );
  });
});
