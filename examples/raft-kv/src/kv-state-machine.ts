import type { StateMachine } from '../../../packages/raft/src/index.js';

/** A command of the key-value store. */
export type KvCommand =
  | { readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly op: 'cas'; readonly key: string; readonly expected: string | null; readonly value: string };

/** What applying a command returns to the client. */
export interface KvResult {
  /** False when a cas found another value. */
  readonly ok: boolean;
  /** The value before the command (null if absent). */
  readonly previous: string | null;
  /** Log index the command was applied at. */
  readonly index: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Encodes a command for `RaftServer.propose`. */
export function encodeCommand(c: KvCommand): Uint8Array {
  return enc.encode(JSON.stringify(c));
}

/** The replicated map: put and compare-and-set. */
export class KvStateMachine implements StateMachine<KvResult> {
  readonly data = new Map<string, string>();

  apply(command: Uint8Array, index: number): KvResult {
    const c = JSON.parse(dec.decode(command)) as KvCommand;
    const previous = this.data.get(c.key) ?? null;
    if (c.op === 'cas' && previous !== c.expected) return { ok: false, previous, index };
    this.data.set(c.key, c.value);
    return { ok: true, previous, index };
  }

  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify([...this.data]));
  }

  restore(data: Uint8Array): void {
    this.data.clear();
    for (const [k, v] of JSON.parse(dec.decode(data)) as [string, string][]) this.data.set(k, v);
  }

  get(key: string): string | null {
    return this.data.get(key) ?? null;
  }
}
