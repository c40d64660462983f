import fs from 'node:fs';
import path from 'node:path';
import { TEMPLATE_FILES } from './template-files.js';

/** Options of {@link scaffoldPlugin}. */
export interface ScaffoldOptions {
  /** The folder to create (relative to `cwd`). It must not exist or be empty. */
  directory: string;
  /** The npm package name (also the plugin's `name`). @default the folder's base name */
  name?: string;
  /** Resolves `directory`. @default process.cwd() */
  cwd?: string;
}

/** What {@link scaffoldPlugin} wrote. */
export interface ScaffoldResult {
  /** Absolute path of the new package. */
  directory: string;
  /** Its npm name. */
  name: string;
  /** Files written, relative to `directory`, sorted. */
  files: string[];
}

/** Raised for a bad package name or a folder that is not empty; the message says how to fix it. */
export class ScaffoldError extends Error {
  override readonly name = 'ScaffoldError';
}

const NPM_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/**
 * Checks an npm package name (lowercase, URL-safe, at most 214 characters, optionally scoped).
 * @throws ScaffoldError saying what is wrong.
 */
export function checkPackageName(name: string): void {
  if (name.length === 0 || name.length > 214 || !NPM_NAME.test(name)) {
    throw new ScaffoldError(
      `"${name}" is not a valid npm package name: use lowercase letters, digits, "-", "." or "_", optionally scoped (@scope/name), e.g. scylla-cp-plugin-banner`,
    );
  }
}

/** The template's files for a package called `name`: relative path → content. */
export function renderPluginTemplate(name: string): Record<string, string> {
  checkPackageName(name);
  const out: Record<string, string> = {};
  for (const [file, content] of Object.entries(TEMPLATE_FILES)) out[file] = content.split('{{name}}').join(name);
  return out;
}

/**
 * Writes a standalone plugin package: `package.json` (TypeScript pinned to 5, tsup, vitest,
 * `@scylla-cp/testing`), `tsconfig.json`, `tsup.config.ts`, a node task, a cluster task and a
 * condition under `src/`, a test for each under `test/`, and a README. Nothing is written when a
 * check fails.
 * @throws ScaffoldError for a bad name or a non-empty folder.
 */
export function scaffoldPlugin(options: ScaffoldOptions): ScaffoldResult {
  const directory = path.resolve(options.cwd ?? process.cwd(), options.directory);
  const name = options.name ?? path.basename(directory);
  const files = renderPluginTemplate(name);
  if (fs.existsSync(directory)) {
    if (!fs.statSync(directory).isDirectory()) throw new ScaffoldError(`${directory} exists and is not a folder: choose another name`);
    if (fs.readdirSync(directory).length > 0) throw new ScaffoldError(`${directory} is not empty: choose a new folder name, or empty it first`);
  }
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(directory, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return { directory, name, files: Object.keys(files).sort() };
}
