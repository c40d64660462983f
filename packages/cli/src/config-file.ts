import fs from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '@scylla-cp/core';
import { z } from 'zod';

/** The name of the config file looked up in the working directory. */
export const CONFIG_FILE_NAME = 'scylla-cp.config.json';

const configSchema = z
  .object({
    /** npm package names (or paths) of plugins to load besides the built-in ones. */
    plugins: z.array(z.string().min(1)).default([]),
    /** Webhook targets, as `discord:<url>`, `slack:<url>`, `webhook:<url>`. */
    notify: z.array(z.string()).default([]),
    /** Discord user id to mention in halt notifications. */
    operator_mention: z.string().optional(),
    /** Also notify when a job completes. @default false */
    notify_on_success: z.boolean().default(false),
    /** The job store file. */
    db: z.string().optional(),
    /** The operator name recorded with jobs. */
    operator: z.string().optional(),
  })
  .strict();

/** The CLI configuration (`scylla-cp.config.json`). */
export type CliConfig = z.output<typeof configSchema> & { file?: string };

/**
 * Loads the config file: `explicitPath` if given (must exist), otherwise
 * `scylla-cp.config.json` in `cwd` if present, otherwise defaults.
 */
export function loadConfig(cwd: string, explicitPath?: string): CliConfig {
  const file = explicitPath ? path.resolve(cwd, explicitPath) : path.join(cwd, CONFIG_FILE_NAME);
  if (!fs.existsSync(file)) {
    if (explicitPath) throw new InvalidInputError(`config file ${file} does not exist`, { code: 'BAD_CONFIG' });
    return configSchema.parse({});
  }
  if (fs.statSync(file).isDirectory()) throw new InvalidInputError(`config file ${file} is a directory; give the path of a JSON file`, { code: 'BAD_CONFIG' });
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InvalidInputError(`config file ${file} is not valid JSON: ${(e as Error).message}`, { code: 'BAD_CONFIG' });
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new InvalidInputError(`config file ${file}: ${problems}`, { code: 'BAD_CONFIG' });
  }
  return { ...parsed.data, file };
}
