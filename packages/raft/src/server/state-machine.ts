/**
 * The user's replicated state machine. `apply` must be deterministic: every member applies
 * the same commands in the same order and must reach the same state.
 * @typeParam R the result `apply` returns to the proposer
 */
export interface StateMachine<R = unknown> {
  /** Applies one committed command at log `index`; the result resolves the proposer's promise. */
  apply(command: Uint8Array, index: number): R;
  /** Serializes the whole state (as of the last applied command). */
  snapshot(): Uint8Array;
  /** Replaces the whole state with a snapshot's. */
  restore(data: Uint8Array): void;
}
