import { CoreNet } from '../helpers/core-net.js';

/**
 * What the transcript's commands share: the simulated cluster made by `cluster`
 * (null before it), after etcd raft's `InteractionEnv`.
 */
export class DatadrivenEnv {
  current: CoreNet | null = null;

  /** The cluster; throws when a command comes before `cluster`. */
  net(): CoreNet {
    if (!this.current) throw new Error('no cluster: start with `cluster a b c`');
    return this.current;
  }
}

/**
 * One transcript command: receives the words after the command name and returns
 * the output lines (an empty array prints `ok`).
 */
export type CommandHandler = (env: DatadrivenEnv, args: readonly string[]) => string[];

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
