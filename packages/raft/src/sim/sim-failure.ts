/** Class of a simulator failure; each maps to a process exit code. */
export type SimFailureKind = 'correctness' | 'liveness' | 'crash';

/** Exit codes of `npm run sim`, after TigerBeetle's VOPR. */
export const SIM_EXIT_CODES: Readonly<Record<SimFailureKind, number>> = {
  crash: 127,
  liveness: 128,
  correctness: 129,
};

/** A violated safety property (correctness) or missed progress deadline (liveness). */
export class SimFailure extends Error {
  constructor(
    readonly kind: SimFailureKind,
    message: string,
  ) {
    super(`${kind}: ${message}`);
    this.name = 'SimFailure';
  }
}
