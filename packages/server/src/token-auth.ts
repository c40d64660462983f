import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import { InvalidInputError } from '@scylla-cp/core';
import { z } from 'zod';

/** What a token allows: `viewer` reads; `operator` also submits and controls jobs. */
export type Role = 'viewer' | 'operator';

/** Who made an API call (recorded with every mutating call in the job's events). */
export interface Caller {
  /** The token's name (a person or a robot). */
  name: string;
  role: Role;
}

/** One entry of a tokens file: the token itself is never stored, only its SHA-256. */
export interface TokenEntry {
  name: string;
  role: Role;
  /** Lowercase hex SHA-256 of the token. */
  sha256: string;
}

/** The prefix of tokens made by {@link generateToken} (lets secret scanners spot them). */
export const TOKEN_PREFIX = 'scp_';

/**
 * A new random token: {@link TOKEN_PREFIX} and 32 random bytes in base64url
 * (256 bits, so a fast hash such as SHA-256 is enough to store it safely).
 */
export function generateToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** The stored form of a token: lowercase hex SHA-256. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

const tokenEntrySchema = z.strictObject({
  name: z.string().min(1),
  role: z.enum(['viewer', 'operator']),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'sha256 must be 64 lowercase hex digits (see `scylla-cp server token`)' }),
});

/** The tokens file: `{ "tokens": [{ "name", "role", "sha256" }] }`. */
export const tokensFileSchema = z.strictObject({ tokens: z.array(tokenEntrySchema) });

/**
 * Parses a tokens file's JSON text.
 * @throws InvalidInputError naming the file, the entry and the field at fault.
 */
export function parseTokensFile(text: string, fileName = '<tokens>'): TokenEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InvalidInputError(`${fileName}: not valid JSON (${(e as Error).message}); expected {"tokens": [{"name", "role", "sha256"}]}`, {
      code: 'BAD_TOKENS_FILE',
    });
  }
  const r = tokensFileSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${fileName}: ${i.path.length > 0 ? i.path.join('.') : '(top)'}: ${i.message}`);
    throw new InvalidInputError(`invalid tokens file:\n  ${lines.join('\n  ')}`, { code: 'BAD_TOKENS_FILE' });
  }
  const seen = new Set<string>();
  for (const t of r.data.tokens) {
    if (seen.has(t.sha256)) throw new InvalidInputError(`${fileName}: two entries have the same sha256 (one is "${t.name}"); give each its own token`, { code: 'BAD_TOKENS_FILE' });
    seen.add(t.sha256);
  }
  return r.data.tokens;
}

/** Reads a tokens file (missing file: an empty list, so `server token` can create it). */
export function readTokensFile(path: string): TokenEntry[] {
  if (!fs.existsSync(path)) return [];
  return parseTokensFile(fs.readFileSync(path, 'utf8'), path);
}

/**
 * Adds a new token for `name` with `role` to the tokens file at `path`
 * (created with mode 0600 if missing) and returns the token, which is shown
 * once and never stored.
 */
export function addTokenToFile(path: string, name: string, role: Role): string {
  const entries = readTokensFile(path);
  const token = generateToken();
  entries.push({ name, role, sha256: hashToken(token) });
  fs.writeFileSync(`${path}.tmp`, `${JSON.stringify({ tokens: entries }, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(`${path}.tmp`, path);
  return token;
}

/** Looks up bearer tokens by their hash. */
export class TokenRegistry {
  readonly #byHash = new Map<string, TokenEntry>();

  constructor(entries: readonly TokenEntry[]) {
    for (const e of entries) this.#byHash.set(e.sha256, e);
  }

  /** How many tokens are known. */
  get size(): number {
    return this.#byHash.size;
  }

  /** The caller a token belongs to, or `undefined` for an unknown token. */
  authenticate(token: string): Caller | undefined {
    const h = hashToken(token);
    const e = this.#byHash.get(h);
    if (!e) return undefined;
    // The map lookup already matched; compare once more in constant time for good measure.
    if (!timingSafeEqual(Buffer.from(e.sha256, 'hex'), Buffer.from(h, 'hex'))) return undefined;
    return { name: e.name, role: e.role };
  }

  /** The caller for an `Authorization` header value (`Bearer <token>`), or `undefined`. */
  authenticateHeader(header: string | undefined): Caller | undefined {
    if (!header) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m ? this.authenticate(m[1]!) : undefined;
  }
}
