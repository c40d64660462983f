/** A REST reply of the simulator. */
export interface SimRestReply {
  status: number;
  /** JSON text; empty for `void` operations. */
  body: string;
  contentType: string;
}

/** What a route returns for a `void` operation: an empty body. */
export const VOID = Symbol('void');

/** A reply body already serialized as JSON (large replies cached between calls). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** A reply with a route's value as its JSON body ({@link VOID}: empty, {@link RawJson}: as is). */
export function reply(status: number, value: unknown): SimRestReply {
  const body = value === VOID ? '' : value instanceof RawJson ? value.text : JSON.stringify(value);
  return { status, body, contentType: 'application/json' };
}

/** Scylla's error body. */
export function errorReply(status: number, message: string): SimRestReply {
  return { status, body: JSON.stringify({ message, code: status }), contentType: 'application/json' };
}
