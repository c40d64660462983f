import type { z } from 'zod';
import type { ServiceProvider } from '../api/services.js';
import { ServiceRegistry } from '../api/services.js';
import { PluginError } from '../errors/input-errors.js';
import { InvalidInputError } from '../errors/input-errors.js';
import { CORE_VERSION } from '../version.js';
import { satisfiesRange } from '../util/semver.js';
import type { ClusterTaskDefinition, ConditionDefinition, NodeTaskDefinition, RegisteredTag, ScyllaCpPlugin, TagKind, TagRegistry } from './plugin.js';
export type { RegisteredTag, TagKind, TagRegistry } from './plugin.js';
import { isPlugin } from './plugin.js';

const TAG_RE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/**
 * The set of plugins a workflow is parsed and run with. Registration checks,
 * in order: shape (a `definePlugin` result with name and version), core
 * version compatibility, tag syntax, then duplicates. A tag may be both a node
 * task and a cluster task (core's `wait-for-conditions` is), but never claimed
 * twice for the same kind; the error names both plugins.
 */
export class PluginRegistry implements TagRegistry {
  readonly #plugins = new Map<string, ScyllaCpPlugin>();
  readonly #tags = new Map<string, RegisteredTag>();
  readonly #services = new ServiceRegistry();

  /** Registers plugins in order. Returns `this`. @throws PluginError */
  register(...plugins: ScyllaCpPlugin[]): this {
    for (const plugin of plugins) this.#registerOne(plugin);
    return this;
  }

  #registerOne(plugin: ScyllaCpPlugin): void {
    if (!isPlugin(plugin)) {
      throw new PluginError('not a plugin: pass the result of definePlugin({ name, version, ... })', { code: 'PLUGIN_SHAPE' });
    }
    if (typeof plugin.name !== 'string' || plugin.name.length === 0 || typeof plugin.version !== 'string') {
      throw new PluginError('a plugin needs a non-empty string "name" and a "version"', { code: 'PLUGIN_SHAPE' });
    }
    if (this.#plugins.has(plugin.name)) {
      throw new PluginError(`plugin ${plugin.name} is registered twice (versions ${this.#plugins.get(plugin.name)!.version} and ${plugin.version})`, {
        code: 'PLUGIN_DUPLICATE',
      });
    }
    const range = plugin.coreVersion ?? `^${CORE_VERSION.split('.').slice(0, 2).join('.')}.0`;
    if (!satisfiesRange(CORE_VERSION, range)) {
      throw new PluginError(`plugin ${plugin.name}@${plugin.version} needs @scylla-cp/core ${range}, but this is ${CORE_VERSION}`, {
        code: 'PLUGIN_CORE_VERSION',
      });
    }
    const entries: RegisteredTag[] = [];
    const add = (kind: TagKind, defs: Record<string, unknown> | undefined) => {
      for (const [tag, definition] of Object.entries(defs ?? {})) {
        if (!TAG_RE.test(tag)) {
          throw new PluginError(`plugin ${plugin.name}: tag "${tag}" must be kebab-case (lowercase letters, digits, dashes), written without "!"`, {
            code: 'PLUGIN_SHAPE',
          });
        }
        const d = definition as { params?: unknown; create?: unknown; scope?: unknown };
        if (typeof d !== 'object' || d === null || typeof d.create !== 'function' || typeof (d.params as z.ZodType | undefined)?.safeParse !== 'function') {
          throw new PluginError(`plugin ${plugin.name}: tag "${tag}" needs a zod "params" schema and a "create" function`, { code: 'PLUGIN_SHAPE' });
        }
        if (kind === 'condition' && d.scope !== 'node' && d.scope !== 'cluster') {
          throw new PluginError(`plugin ${plugin.name}: condition "${tag}" needs scope "node" or "cluster"`, { code: 'PLUGIN_SHAPE' });
        }
        const key = `${kind}:${tag}`;
        const existing = this.#tags.get(key) ?? entries.find((e) => `${e.kind}:${e.tag}` === key);
        if (existing) {
          throw new PluginError(`tag !${tag} is claimed by both plugin ${existing.plugin} and plugin ${plugin.name}`, {
            code: 'PLUGIN_DUPLICATE_TAG',
            details: { tag, plugins: [existing.plugin, plugin.name] },
          });
        }
        entries.push({ tag, kind, plugin: plugin.name, definition: definition as RegisteredTag['definition'] });
      }
    };
    add('nodeTask', plugin.nodeTasks);
    add('clusterTask', plugin.clusterTasks);
    add('condition', plugin.conditions);
    // Only now that every check passed does anything change.
    this.#plugins.set(plugin.name, plugin);
    for (const e of entries) this.#tags.set(`${e.kind}:${e.tag}`, e);
    for (const provider of plugin.services ?? []) this.#services.provide(provider);
  }

  /** Registered plugins, in registration order. */
  plugins(): ScyllaCpPlugin[] {
    return [...this.#plugins.values()];
  }

  /** Every registered tag (for JSON Schema generation and `did you mean`). */
  tags(kind?: TagKind): RegisteredTag[] {
    const all = [...this.#tags.values()];
    return kind ? all.filter((t) => t.kind === kind) : all;
  }

  /** The registration of `tag` as `kind`, if any. */
  lookup(kind: TagKind, tag: string): RegisteredTag | undefined {
    return this.#tags.get(`${kind}:${tag}`);
  }

  nodeTask(tag: string): NodeTaskDefinition | undefined {
    return this.lookup('nodeTask', tag)?.definition as NodeTaskDefinition | undefined;
  }

  clusterTask(tag: string): ClusterTaskDefinition | undefined {
    return this.lookup('clusterTask', tag)?.definition as ClusterTaskDefinition | undefined;
  }

  condition(tag: string): ConditionDefinition | undefined {
    return this.lookup('condition', tag)?.definition as ConditionDefinition | undefined;
  }

  /**
   * Validates `params` with the tag's schema and builds the instance.
   * @throws InvalidInputError for an unknown tag or invalid parameters.
   */
  create(kind: 'nodeTask', tag: string, params: unknown): ReturnType<NodeTaskDefinition['create']>;
  create(kind: 'clusterTask', tag: string, params: unknown): ReturnType<ClusterTaskDefinition['create']>;
  create(kind: 'condition', tag: string, params: unknown): ReturnType<ConditionDefinition['create']>;
  create(kind: TagKind, tag: string, params: unknown): unknown {
    const reg = this.lookup(kind, tag);
    if (!reg) throw new InvalidInputError(`unknown ${kind} tag !${tag}`, { code: 'UNKNOWN_TAG', details: { tag, kind } });
    const parsed = reg.definition.params.safeParse(params ?? {});
    if (!parsed.success) {
      throw new InvalidInputError(`invalid parameters for !${tag}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, {
        code: 'INVALID_PARAMS',
        details: { tag },
      });
    }
    return (reg.definition.create as (p: unknown, h: { registry: TagRegistry }) => unknown)(parsed.data, { registry: this });
  }

  /** The service providers the registered plugins bring (callers may add overrides). */
  get services(): ServiceRegistry {
    return this.#services;
  }

  /** Registers a service provider (overriding a plugin's default). Returns `this`. */
  provide<T>(provider: ServiceProvider<T>): this {
    this.#services.provide(provider);
    return this;
  }
}
