import { workflowJsonSchema, type PluginRegistry } from '@scylla-cp/core';

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
