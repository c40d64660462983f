/**
 * Decoders of Scylla REST reply bodies. Each takes the raw body text of a 2xx reply and returns
 * the typed value, or throws a `TypeError` saying what it expected (the client turns it into a
 * `ScyllaApiError` with code `SCYLLA_API_BAD_RESPONSE`). Content-Type is ignored: older Scylla
 * versions label JSON as text/plain.
 */
export type ScyllaDecoder<T> = (body: string) => T;

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new TypeError(`expected JSON, got ${JSON.stringify(body.slice(0, 200))}`);
  }
}

function fail(expected: string, got: unknown): never {
  const text = JSON.stringify(got);
  throw new TypeError(`expected ${expected}, got ${text === undefined ? String(got) : text.slice(0, 200)}`);
}

/** `void` replies: HTTP 200 with an empty body. Any body is ignored. */
export const decodeVoid: ScyllaDecoder<void> = () => undefined;

/** `string` replies: a JSON-quoted string (`"NORMAL"`, with the quotes). */
export const decodeString: ScyllaDecoder<string> = (body) => {
  const v = parseJson(body);
  return typeof v === 'string' ? v : fail('a JSON string', v);
};

/** `long` replies: a bare JSON integer. */
export const decodeLong: ScyllaDecoder<number> = (body) => {
  const v = parseJson(body);
  return typeof v === 'number' && Number.isInteger(v) ? v : fail('a JSON integer', v);
};

/** `double` replies: a bare JSON number. */
export const decodeDouble: ScyllaDecoder<number> = (body) => {
  const v = parseJson(body);
  return typeof v === 'number' ? v : fail('a JSON number', v);
};

/** `boolean` replies: `true` or `false`. */
export const decodeBoolean: ScyllaDecoder<boolean> = (body) => {
  const v = parseJson(body);
  return typeof v === 'boolean' ? v : fail('true or false', v);
};

/** An array whose items are checked by `item`. */
export function decodeArrayOf<T>(what: string, item: (v: unknown) => T): ScyllaDecoder<T[]> {
  return (body) => {
    const v = parseJson(body);
    if (!Array.isArray(v)) return fail(`a JSON array of ${what}`, v);
    return v.map(item);
  };
}

/** Checks a string value. */
export function asString(v: unknown): string {
  return typeof v === 'string' ? v : fail('a string', v);
}

/** Checks an integer value. */
export function asLong(v: unknown): number {
  return typeof v === 'number' && Number.isInteger(v) ? v : fail('an integer', v);
}

/** Checks an object value. */
export function asObject(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : fail('an object', v);
}

/** `array<string>` replies. */
export const decodeStringArray = decodeArrayOf('strings', asString);
/** `array<long>` replies. */
export const decodeLongArray = decodeArrayOf('integers', asLong);

/** One `{key, value}` entry of an `array<mapper>` reply. */
export interface ScyllaMapperEntry {
  key: string;
  value: string;
}

/** `array<mapper>` replies: `[{"key": "...", "value": "..."}]`. */
export const decodeMapperArray = decodeArrayOf<ScyllaMapperEntry>('mapper objects', (v) => {
  const o = asObject(v);
  return { key: asString(o.key), value: asString(o.value) };
});

/** One `{key, value: [...]}` entry of an `array<mapper_list>` reply. */
export interface ScyllaMapperListEntry {
  key: string;
  value: string[];
}

/** `array<mapper_list>` replies: `[{"key": "...", "value": ["...", ...]}]`. */
export const decodeMapperListArray = decodeArrayOf<ScyllaMapperListEntry>('mapper_list objects', (v) => {
  const o = asObject(v);
  if (!Array.isArray(o.value)) fail('a list value', o.value);
  return { key: asString(o.key), value: (o.value as unknown[]).map(asString) };
});
