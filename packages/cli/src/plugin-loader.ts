import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidInputError, isPlugin, type ScyllaCpPlugin } from '@scylla-cp/core';

/**
 * Where a plugin named in the config comes from: `registry` (a package installed into a
 * `node_modules` folder, e.g. from npm), `workspace` (a package of your npm workspace: a
 * `node_modules` entry linked to a folder outside any `node_modules`), or `path` (a file or a
 * package folder given by a relative or absolute path).
 */
export type PluginOrigin = 'registry' | 'workspace' | 'path';

/** Where {@link resolvePlugin} found a plugin. */
export interface ResolvedPlugin {
  /** The specifier from the config. */
  spec: string;
  origin: PluginOrigin;
  /** The package folder (or the file's folder), as found (not symlink-resolved). */
  location: string;
  /** The module file that is imported (the package's ESM entry: `exports` `import`, then `module`, then `main`). */
  entry: string;
}

const describeOrigin = (r: Pick<ResolvedPlugin, 'origin' | 'location'>): string =>
  r.origin === 'registry'
    ? `installed package at ${r.location}`
    : r.origin === 'workspace'
      ? `workspace package linked from ${r.location} to ${fs.realpathSync(r.location)}`
      : `local path ${r.location}`;

const isPathSpec = (spec: string): boolean => spec.startsWith('.') || path.isAbsolute(spec) || spec.startsWith('file:');

/** Splits `@scope/name/sub/path` into the package name and the export subpath (`.` or `./sub/path`). */
function splitBareSpec(spec: string): { name: string; subpath: string } {
  const parts = spec.split('/');
  const n = spec.startsWith('@') ? 2 : 1;
  const rest = parts.slice(n).join('/');
  return { name: parts.slice(0, n).join('/'), subpath: rest ? `./${rest}` : '.' };
}

/** Picks the target of an `exports` entry the way Node does for `import` (conditions in object order). */
function pickTarget(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const v of value) {
      const t = pickTarget(v);
      if (t) return t;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'import' || k === 'node' || k === 'default') {
        const t = pickTarget(v);
        if (t) return t;
      }
    }
  }
  return undefined;
}

/** The ESM entry of the package in `dir` for `subpath`, or undefined when the package does not export it. */
function packageEntry(dir: string, subpath: string): string | undefined {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    exports?: unknown;
    module?: string;
    main?: string;
  };
  const exp = manifest.exports;
  if (exp !== undefined && exp !== null) {
    const isMap = typeof exp === 'object' && !Array.isArray(exp) && Object.keys(exp).some((k) => k.startsWith('.'));
    const entry = isMap ? (exp as Record<string, unknown>)[subpath] : subpath === '.' ? exp : undefined;
    const target = pickTarget(entry);
    return target ? path.resolve(dir, target) : undefined;
  }
  if (subpath !== '.') return path.resolve(dir, subpath);
  return path.resolve(dir, manifest.module ?? manifest.main ?? 'index.js');
}

/**
 * Finds the module of one plugin specifier from `baseDir` (the config file's folder): a path is
 * taken relative to it; a package name is looked up in `node_modules` of `baseDir` and of every
 * parent folder, like Node does. The package's ESM entry is used, so the plugin shares the one
 * `@scylla-cp/core` the CLI has loaded (a CommonJS entry would load core's CommonJS copy).
 * @throws InvalidInputError `PLUGIN_NOT_FOUND` saying where it looked and how to fix it.
 */
export function resolvePlugin(spec: string, baseDir: string): ResolvedPlugin {
  if (isPathSpec(spec)) {
    const location = path.resolve(baseDir, spec.startsWith('file:') ? spec.slice(5) : spec);
    if (!fs.existsSync(location)) {
      throw new InvalidInputError(`plugin "${spec}" (a local path) cannot be found: ${location} does not exist; fix the path in the config (relative to ${baseDir})`, {
        code: 'PLUGIN_NOT_FOUND',
        details: { spec, origin: 'path', location },
      });
    }
    let entry = location;
    if (fs.statSync(location).isDirectory()) {
      entry = fs.existsSync(path.join(location, 'package.json')) ? (packageEntry(location, '.') ?? path.join(location, 'index.js')) : path.join(location, 'index.js');
    }
    return { spec, origin: 'path', location, entry };
  }
  const { name, subpath } = splitBareSpec(spec);
  const searched: string[] = [];
  for (let dir = path.resolve(baseDir); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    searched.push(path.join(dir, 'node_modules'));
    if (fs.existsSync(path.join(candidate, 'package.json'))) {
      const real = fs.realpathSync(candidate);
      const origin: PluginOrigin = real.split(path.sep).includes('node_modules') ? 'registry' : 'workspace';
      const entry = packageEntry(candidate, subpath);
      if (!entry) {
        throw new InvalidInputError(`plugin "${spec}" (${describeOrigin({ origin, location: candidate })}) does not export "${subpath}"; name the package itself in the config`, {
          code: 'PLUGIN_NOT_FOUND',
          details: { spec, origin, location: candidate },
        });
      }
      return { spec, origin, location: candidate, entry };
    }
    if (path.dirname(dir) === dir) break;
  }
  throw new InvalidInputError(
    `plugin "${spec}" cannot be found from ${baseDir}: no package "${name}" in ${searched.length === 1 ? searched[0] : `${searched[0]} or any parent folder's node_modules`}; ` +
      `install it beside the config (npm install ${name}), add it to your npm workspace, or give a path ("./path/to/plugin")`,
    { code: 'PLUGIN_NOT_FOUND', details: { spec, origin: 'registry' } },
  );
}

/**
 * Loads plugin packages named in the config (see {@link resolvePlugin} for where each is looked
 * up). The module must export a plugin (made by `definePlugin`) as its default export or as a
 * named export ending in `Plugin`/`plugin`, or an array of them. Every error names the
 * specifier and where it came from (registry install, workspace or local path).
 */
export async function loadPlugins(specifiers: string[], baseDir: string): Promise<ScyllaCpPlugin[]> {
  const plugins: ScyllaCpPlugin[] = [];
  for (const spec of specifiers) {
    const resolved = resolvePlugin(spec, baseDir);
    const where = describeOrigin(resolved);
    if (!fs.existsSync(resolved.entry)) {
      const fix =
        resolved.origin === 'registry' ? 'the installed package is incomplete: reinstall it' : 'build the plugin first (npm run build in its folder)';
      throw new InvalidInputError(`plugin "${spec}" (${where}) failed to load: its entry ${resolved.entry} does not exist; ${fix}`, {
        code: 'PLUGIN_LOAD_FAILED',
        details: { spec, origin: resolved.origin, entry: resolved.entry },
      });
    }
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(resolved.entry).href)) as Record<string, unknown>;
    } catch (e) {
      const message = (e as Error).message;
      const missing = /Cannot find (?:module|package) '([^']+)'/.exec(message)?.[1];
      const hint = missing
        ? `; ${missing} is not installed where the plugin can import it: install it beside the config (npm install ${missing})${missing.startsWith('@scylla-cp/') ? ', since scylla-cp packages are peer dependencies of plugins' : ''}`
        : '';
      throw new InvalidInputError(`plugin "${spec}" (${where}) failed to load: ${message}${hint}`, {
        code: 'PLUGIN_LOAD_FAILED',
        cause: e,
        details: { spec, origin: resolved.origin, entry: resolved.entry },
      });
    }
    const found = collectPlugins(mod);
    if (found.length === 0) {
      throw new InvalidInputError(`module "${spec}" (${where}) exports no plugin; export the result of definePlugin(...) as default or as "<name>Plugin"`, {
        code: 'PLUGIN_LOAD_FAILED',
        details: { spec, origin: resolved.origin, entry: resolved.entry },
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
