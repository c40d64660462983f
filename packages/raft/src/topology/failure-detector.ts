/**
 * Which nodes are alive, as seen from one node. Injected into the coordinator
 * and the client; Scylla's direct failure detector or the simulator's network
 * view can stand behind it.
 */
export interface FailureDetector {
  /** Whether `nodeId` is currently believed alive. Unknown nodes count as alive. */
  isAlive(nodeId: string): boolean;
  /** Subscribes to up/down changes; returns the unsubscribe function. */
  onChange(listener: (nodeId: string, alive: boolean) => void): () => void;
}

/** A failure detector driven by hand (tests, or a caller with its own probes). */
export class ManualFailureDetector implements FailureDetector {
  readonly #dead = new Set<string>();
  readonly #listeners = new Set<(nodeId: string, alive: boolean) => void>();

  /** @param dead node ids dead from the start. @default [] */
  constructor(dead: readonly string[] = []) {
    for (const id of dead) this.#dead.add(id);
  }

  isAlive(nodeId: string): boolean {
    return !this.#dead.has(nodeId);
  }

  onChange(listener: (nodeId: string, alive: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Marks a node dead and notifies listeners (no-op when already dead). */
  markDead(nodeId: string): void {
    if (this.#dead.has(nodeId)) return;
    this.#dead.add(nodeId);
    for (const l of [...this.#listeners]) l(nodeId, false);
  }

  /** Marks a node alive and notifies listeners (no-op when already alive). */
  markAlive(nodeId: string): void {
    if (!this.#dead.delete(nodeId)) return;
    for (const l of [...this.#listeners]) l(nodeId, true);
  }
}
