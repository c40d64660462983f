import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { CORE_VERSION, corePlugin, definePlugin, isPlugin, PluginError, PluginRegistry, type ExecuteNodeTask, type ScyllaCpPlugin } from '@scylla-cp/core';

const task = (): ExecuteNodeTask => ({ name: () => 't', preconditions: () => [], execute: async () => undefined });
const def = { description: 'd', params: z.strictObject({}), create: task };

function pluginError(fn: () => unknown): PluginError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PluginError);
    return e as PluginError;
  }
  throw new Error('expected a PluginError');
}

describe('PluginRegistry', () => {
  test('a tag claimed twice for the same kind names both plugins, and nothing of the second is registered', () => {
    const a = definePlugin({ name: 'plugin-a', version: '1.0.0', nodeTasks: { 'scylla-drain': def } });
    const b = definePlugin({ name: 'plugin-b', version: '2.0.0', nodeTasks: { 'other-task': def, 'scylla-drain': def } });
    const r = new PluginRegistry().register(a);
    const e = pluginError(() => r.register(b));
    expect(e.code).toBe('PLUGIN_DUPLICATE_TAG');
    expect(e.message).toBe('tag !scylla-drain is claimed by both plugin plugin-a and plugin plugin-b');
    expect(e.details).toEqual({ tag: 'scylla-drain', plugins: ['plugin-a', 'plugin-b'] });
    expect(r.nodeTask('other-task')).toBeUndefined();
    expect(r.plugins().map((p) => p.name)).toEqual(['plugin-a']);
  });

  test('the same tag as a node task and a cluster task is allowed (core does it)', () => {
    const r = new PluginRegistry().register(corePlugin);
    expect(r.nodeTask('wait-for-conditions')).toBeDefined();
    expect(r.clusterTask('wait-for-conditions')).toBeDefined();
    expect(r.lookup('clusterTask', 'sleep')?.plugin).toBe('@scylla-cp/core');
  });

  test('a core version mismatch is refused, naming both versions', () => {
    const p = definePlugin({ name: 'old', version: '0.0.9', coreVersion: '^9.0.0', nodeTasks: { x: def } });
    const e = pluginError(() => new PluginRegistry().register(p));
    expect(e.code).toBe('PLUGIN_CORE_VERSION');
    expect(e.message).toBe(`plugin old@0.0.9 needs @scylla-cp/core ^9.0.0, but this is ${CORE_VERSION}`);
    expect(() => new PluginRegistry().register(definePlugin({ name: 'ok', version: '1.0.0', coreVersion: `>=${CORE_VERSION}` }))).not.toThrow();
  });

  test('bad shapes are refused with PLUGIN_SHAPE', () => {
    const r = new PluginRegistry();
    expect(pluginError(() => r.register({ name: 'x', version: '1' } as unknown as ScyllaCpPlugin)).message).toMatch(/^not a plugin: pass the result of definePlugin/);
    expect(pluginError(() => r.register(definePlugin({ name: '', version: '1.0.0' }))).code).toBe('PLUGIN_SHAPE');
    expect(pluginError(() => r.register(definePlugin({ name: 'p', version: '1.0.0', nodeTasks: { Bad_Tag: def } }))).message).toMatch(/must be kebab-case/);
    expect(pluginError(() => r.register(definePlugin({ name: 'p', version: '1.0.0', nodeTasks: { t: { description: 'd', create: task } as never } }))).message).toMatch(
      /needs a zod "params" schema and a "create" function/,
    );
    expect(
      pluginError(() => r.register(definePlugin({ name: 'p', version: '1.0.0', conditions: { c: { description: 'd', params: z.object({}), create: () => ({}) } as never } }))).message,
    ).toMatch(/needs scope "node" or "cluster"/);
    expect(r.plugins()).toEqual([]);
  });

  test('the same plugin registered twice is refused', () => {
    const p = definePlugin({ name: 'p', version: '1.0.0' });
    expect(pluginError(() => new PluginRegistry().register(p, p)).code).toBe('PLUGIN_DUPLICATE');
  });

  test('a plugin made by another copy of core is recognized', async () => {
    // A second module instance of plugin.ts, as a plugin bundling its own core would have.
    const other = (await import(/* @vite-ignore */ `../src/plugin/plugin.ts?copy=${Date.now()}`)) as typeof import('../src/plugin/plugin.js');
    expect(other.definePlugin).not.toBe(definePlugin);
    const foreign = other.definePlugin({ name: 'foreign', version: '1.0.0', nodeTasks: { 'foreign-task': def } });
    expect(isPlugin(foreign)).toBe(true);
    expect(other.isPlugin(definePlugin({ name: 'x', version: '1.0.0' }))).toBe(true);
    const r = new PluginRegistry().register(foreign);
    expect(r.nodeTask('foreign-task')).toBeDefined();
    expect(isPlugin({ name: 'fake', version: '1.0.0' })).toBe(false);
  });

  test('create validates parameters and reports unknown tags', () => {
    const r = new PluginRegistry().register(corePlugin);
    expect(() => r.create('nodeTask', 'nope', {})).toThrow(expect.objectContaining({ code: 'UNKNOWN_TAG' }));
    expect(() => r.create('nodeTask', 'sleep', { seconds: 'x' })).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS' }));
  });
});
