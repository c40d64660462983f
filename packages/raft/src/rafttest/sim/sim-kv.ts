import type { StateMachine } from '../../server/state-machine.js';
import { chainDigest } from './safety-checker.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Encodes a simulator write `key=value`. */
export function encodeWrite(key: string, value: string): Uint8Array {
  return enc.encode(`${key}=${value}`);
}

/** Hooks the checker into a {@link SimKv}. */
export interface SimKvHooks {
  onApply(index: number, command: string, digest: number): void;
  onRestore(lastCommandIndex: number, digest: number): void;
}

/**
 * The simulator's state machine: a map of registers plus a hash chain over every applied
 * command (so divergence anywhere in the applied prefix is detected at the next apply).
 */
export class SimKv implements StateMachine<number> {
  readonly map = new Map<string, string>();
  digest = 0;
  lastCommandIndex = 0;

  constructor(private readonly hooks: SimKvHooks) {}

  apply(command: Uint8Array, index: number): number {
    const s = dec.decode(command);
    const eq = s.indexOf('=');
    this.map.set(s.slice(0, eq), s.slice(eq + 1));
    this.digest = chainDigest(this.digest, index, s);
    this.lastCommandIndex = index;
    this.hooks.onApply(index, s, this.digest);
    return index;
  }

  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify({ m: [...this.map], d: this.digest, l: this.lastCommandIndex }));
  }

  restore(data: Uint8Array): void {
    const o = JSON.parse(dec.decode(data)) as { m: [string, string][]; d: number; l: number };
    this.map.clear();
    for (const [k, v] of o.m) this.map.set(k, v);
    this.digest = o.d;
    this.lastCommandIndex = o.l;
    this.hooks.onRestore(o.l, o.d);
  }

  get(key: string): string | null {
    return this.map.get(key) ?? null;
  }
}
