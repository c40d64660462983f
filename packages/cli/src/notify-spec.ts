import { InvalidInputError } from '@scylla-cp/core';

/** A webhook target parsed from `--notify kind:url`. */
export interface NotifySpec {
  kind: 'discord' | 'slack' | 'webhook';
  url: string;
}

const KINDS = ['discord', 'slack', 'webhook'] as const;

/**
 * Parses `discord:<url>`, `slack:<url>` or `webhook:<url>` (a generic JSON webhook).
 * The URL is a secret: error messages never include it.
 */
export function parseNotifySpec(spec: string): NotifySpec {
  const i = spec.indexOf(':');
  const kind = i > 0 ? spec.slice(0, i) : '';
  const url = i > 0 ? spec.slice(i + 1) : '';
  if (!(KINDS as readonly string[]).includes(kind)) {
    throw new InvalidInputError(`--notify: unknown kind "${kind || spec.split('/')[0]}"; use discord:<url>, slack:<url> or webhook:<url>`, {
      code: 'BAD_NOTIFY',
    });
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidInputError(`--notify ${kind}: the URL after "${kind}:" is not a valid URL`, { code: 'BAD_NOTIFY' });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new InvalidInputError(`--notify ${kind}: the URL must be http(s)`, { code: 'BAD_NOTIFY' });
  }
  return { kind: kind as NotifySpec['kind'], url };
}
