import { workflowJsonSchema, type PluginRegistry } from '@scylla-cp/core';
import type { CliContext } from '../cli-context.js';
import { buildRegistry } from '../runtime.js';

/**
 * VS Code settings for the YAML extension (yaml-language-server): the
 * workflow schema bound to workflow files, and every registered tag declared
 * as a custom tag (`!scylla-drain mapping`, `!scylla-drain scalar`, ...) so
 * that the editor stops flagging `!tags` as unknown.
 */
export function editorSettings(registry: PluginRegistry, schemaPath: string): Record<string, unknown> {
  const tags = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      const m = /^!([a-z0-9][a-z0-9-]*)$/.exec(v);
      if (m) tags.add(m[1]!);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  const schema = workflowJsonSchema(registry) as Record<string, unknown>;
  walk(schema);
  for (const p of registry.plugins()) {
    for (const k of [...Object.keys(p.nodeTasks ?? {}), ...Object.keys(p.clusterTasks ?? {}), ...Object.keys(p.conditions ?? {})]) tags.add(k);
  }
  const customTags = [...tags].sort().flatMap((t) => [`!${t} mapping`, `!${t} scalar`, `!${t} sequence`]);
  return {
    'yaml.schemas': { [schemaPath]: ['*.workflow.yaml', 'workflows/*.yaml', 'workflows/*.yml'] },
    'yaml.customTags': customTags,
  };
}

/**
 * `scylla-cp schema [--vscode [--schema-path FILE]]`: the workflow JSON Schema
 * for the registered plugins, or with `--vscode` the {@link editorSettings}
 * (`--schema-path` default `scylla-cp.schema.json`).
 */
export function registerSchemaCommand(ctx: CliContext): void {
  const { io } = ctx;
  ctx.program
    .command('schema')
    .description('print the workflow JSON Schema for the registered plugins (for editors)')
    .option('--vscode', 'print VS Code settings for the YAML extension (yaml-language-server): the schema and the custom tags')
    .option('--schema-path <file>', 'with --vscode: where the schema file will be (default: ./scylla-cp.schema.json)', 'scylla-cp.schema.json')
    .action(async (o: { vscode?: boolean; schemaPath: string }) => {
      const registry = await buildRegistry(ctx.config(), io.cwd);
      io.stdout.write(`${JSON.stringify(o.vscode ? editorSettings(registry, o.schemaPath) : workflowJsonSchema(registry), null, 2)}\n`);
    });
}
