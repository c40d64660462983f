import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidInputError, isPlugin, type ScyllaCpPlugin } from '@scylla-cp/core';

/**
 * Loads plugin packages named in the config. Each specifier is resolved from
 * `baseDir` (the config file's folder) like `require.resolve` would, so a
 * plugin installed in the project's node_modules is found; a relative path
 * works too. The module must export a plugin (made by `definePlugin`) as its
 * default export or as a named export ending in `Plugin`/`plugin`, or an
 * array of them.
 */
export async function loadPlugins(specifiers: string[], baseDir: string): Promise<ScyllaCpPlugin[]> {
  const req = createRequire(path.join(baseDir, 'noop.js'));
  const plugins: ScyllaCpPlugin[] = [];
  for (const spec of specifiers) {
    let resolved: string;
    try {
      resolved = req.resolve(spec.startsWith('.') || path.isAbsolute(spec) ? path.resolve(baseDir, spec) : spec);
    } catch {
      throw new InvalidInputError(`plugin "${spec}" cannot be found from ${baseDir}; install it (npm install ${spec}) or fix the name in the config`, {
        code: 'PLUGIN_NOT_FOUND',
      });
    }
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
    } catch (e) {
      throw new InvalidInputError(`plugin "${spec}" failed to load: ${(e as Error).message}`, { code: 'PLUGIN_LOAD_FAILED', cause: e });
    }
    const found = collectPlugins(mod);
    if (found.length === 0) {
      throw new InvalidInputError(`module "${spec}" exports no plugin; export the result of definePlugin(...) as default or as "<name>Plugin"`, {
        code: 'PLUGIN_LOAD_FAILED',
      });
    }
    plugins.push(...found);
  }
  return plugins;
}

function collectPlugins(mod: Record<string, unknown>): ScyllaCpPlugin[] {
  const out: ScyllaCpPlugin[] = [];
  const visit = (v: unknown) => {
    if (isPlugin(v)) {
      if (!out.includes(v)) out.push(v);
    } else if (Array.isArray(v)) v.forEach(visit);
  };
  visit(mod.default);
  const def = mod.default as Record<string, unknown> | undefined;
  if (def && typeof def === 'object' && !isPlugin(def) && !Array.isArray(def)) {
    for (const [k, v] of Object.entries(def)) if (/plugin$/i.test(k)) visit(v);
  }
  for (const [k, v] of Object.entries(mod)) if (k !== 'default' && /plugin$/i.test(k)) visit(v);
  return out;
}
