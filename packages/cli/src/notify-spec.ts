import fs from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '@scylla-cp/core';

/** The webhook kinds `--notify` accepts. */
export const NOTIFY_KINDS = ['discord', 'slack', 'webhook'] as const;

/** A webhook target parsed from `--notify kind:<url | env:NAME | file:PATH>`. */
export interface NotifySpec {
  kind: (typeof NOTIFY_KINDS)[number];
  /** The webhook URL (a secret: never printed or stored). */
  url: string;
  /**
   * How the URL was given without the secret in it: `discord:env:NAME` or
   * `discord:file:/abs/path`. Only such references are stored with the job (so
   * that `resume` and `retry` page too); a URL given in clear has none.
   */
  reference?: string;
}

/**
 * Parses `discord:<url>`, `slack:<url>` or `webhook:<url>` (a generic JSON
 * webhook), or the same kinds with a reference instead of the URL:
 * `discord:env:NAME` (the URL is in environment variable NAME) or
 * `discord:file:PATH` (the URL is the file's content, trimmed; a relative PATH
 * is resolved from `cwd`). The URL is a secret: error messages never include it.
 *
 * @param env where `env:` references are looked up. @default process.env
 * @param cwd the folder relative `file:` paths start from. @default process.cwd()
 */
export function parseNotifySpec(spec: string, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): NotifySpec {
  const i = spec.indexOf(':');
  const kind = i > 0 ? spec.slice(0, i) : '';
  const rest = i > 0 ? spec.slice(i + 1) : '';
  if (!(NOTIFY_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidInputError(
      `--notify: unknown kind "${kind || spec.split('/')[0]}"; use discord:<url>, slack:<url> or webhook:<url> (or kind:env:NAME, kind:file:PATH)`,
      { code: 'BAD_NOTIFY' },
    );
  }
  let url = rest;
  let reference: string | undefined;
  if (rest.startsWith('env:')) {
    const name = rest.slice(4);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new InvalidInputError(`--notify ${kind}:env:${name}: "${name}" is not an environment variable name`, { code: 'BAD_NOTIFY' });
    }
    const v = env[name];
    if (v === undefined || v.trim() === '') {
      throw new InvalidInputError(`--notify ${kind}:env:${name}: environment variable ${name} is not set; export it with the webhook URL`, {
        code: 'BAD_NOTIFY',
      });
    }
    url = v.trim();
    reference = `${kind}:env:${name}`;
  } else if (rest.startsWith('file:')) {
    const file = path.resolve(cwd, rest.slice(5));
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new InvalidInputError(`--notify ${kind}:file:${file}: cannot read the file (${(e as { code?: string }).code ?? (e as Error).message})`, {
        code: 'BAD_NOTIFY',
      });
    }
    url = text.trim();
    reference = `${kind}:file:${file}`;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    const where = reference ? ` (from ${reference.slice(kind.length + 1)})` : ` after "${kind}:"`;
    throw new InvalidInputError(`--notify ${kind}: the URL${where} is not a valid URL`, { code: 'BAD_NOTIFY' });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new InvalidInputError(`--notify ${kind}: the URL must be http(s)`, { code: 'BAD_NOTIFY' });
  }
  const out: NotifySpec = { kind: kind as NotifySpec['kind'], url };
  if (reference !== undefined) out.reference = reference;
  return out;
}

/** The target without its secret, for summaries: `discord (env:NAME)`, `slack (https://hooks.slack.com/…)`. */
export function describeNotifySpec(spec: NotifySpec): string {
  if (spec.reference) return `${spec.kind} (${spec.reference.slice(spec.kind.length + 1)})`;
  let host = '?';
  try {
    host = new URL(spec.url).host;
  } catch {
    // keep '?'
  }
  return `${spec.kind} (https://${host}/… redacted, not stored with the job)`;
}
