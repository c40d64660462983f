import type { StateMachine } from '../../../packages/raft/src/index.js';

/**
 * Identifies one client request for exactly-once application: `client` is a stable id
 * chosen by the client, `seq` a number it never reuses for another request. A retry of the
 * same request (after a timeout, a lost answer, a leader change) carries the same pair.
 */
export interface KvRequestId {
  readonly client: string;
  readonly seq: number;
}

/** A command of the key-value store. */
export type KvCommand = (
  | { readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly op: 'cas'; readonly key: string; readonly expected: string | null; readonly value: string }
) & { readonly rid?: KvRequestId };

/** What applying a command returns to the client. */
export interface KvResult {
  /** False when a cas found another value. */
  readonly ok: boolean;
  /** The value before the command (null if absent). */
  readonly previous: string | null;
  /** Log index the command was applied at (the first application, for a duplicate). */
  readonly index: number;
  /** True when this request id was applied before: nothing changed, the first result is returned. */
  readonly duplicate?: boolean;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Encodes a command for `RaftServer.propose`. */
export function encodeCommand(c: KvCommand): Uint8Array {
  return enc.encode(JSON.stringify(c));
}

/** Results remembered per client for deduplication. @default 1000 */
export const KV_RESULTS_PER_CLIENT = 1000;

/**
 * The replicated map: put and compare-and-set, applied exactly once per request id.
 * For each client it remembers the results of its last {@link KV_RESULTS_PER_CLIENT}
 * requests; a command whose id is among them is not applied again and returns the
 * first result with `duplicate: true`. A command whose seq is below the oldest remembered
 * one of its client (clients number their requests increasingly) is refused the same way with `ok: false` and no effect (it was applied long ago or
 * superseded). The table is part of the snapshot, so deduplication survives restarts,
 * leader changes and log compaction.
 */
export class KvStateMachine implements StateMachine<KvResult> {
  readonly data = new Map<string, string>();
  private readonly sessions = new Map<string, Map<number, KvResult>>();

  apply(command: Uint8Array, index: number): KvResult {
    const c = JSON.parse(dec.decode(command)) as KvCommand;
    const rid = c.rid;
    let session: Map<number, KvResult> | undefined;
    if (rid) {
      session = this.sessions.get(rid.client);
      const seen = session?.get(rid.seq);
      if (seen) return { ...seen, duplicate: true };
      if (session && session.size >= KV_RESULTS_PER_CLIENT && rid.seq < (session.keys().next().value as number)) {
        return { ok: false, previous: this.data.get(c.key) ?? null, index, duplicate: true };
      }
    }
    const previous = this.data.get(c.key) ?? null;
    let result: KvResult;
    if (c.op === 'cas' && previous !== c.expected) result = { ok: false, previous, index };
    else {
      this.data.set(c.key, c.value);
      result = { ok: true, previous, index };
    }
    if (rid) {
      if (!session) this.sessions.set(rid.client, (session = new Map()));
      session.set(rid.seq, result);
      if (session.size > KV_RESULTS_PER_CLIENT) session.delete(session.keys().next().value as number); // the oldest remembered
    }
    return result;
  }

  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify({ data: [...this.data], sessions: [...this.sessions].map(([k, m]) => [k, [...m]]) }));
  }

  restore(data: Uint8Array): void {
    const o = JSON.parse(dec.decode(data)) as { data: [string, string][]; sessions?: [string, [number, KvResult][]][] } | [string, string][];
    this.data.clear();
    this.sessions.clear();
    const entries = Array.isArray(o) ? o : o.data;
    for (const [k, v] of entries) this.data.set(k, v);
    if (!Array.isArray(o)) for (const [client, list] of o.sessions ?? []) this.sessions.set(client, new Map(list));
  }

  get(key: string): string | null {
    return this.data.get(key) ?? null;
  }
}
