/** Class of a simulator failure; each maps to a process exit code. */
export type SimFailureKind = 'correctness' | 'liveness' | 'crash' | 'hung';

/** Exit codes of `npm run sim`, after TigerBeetle's VOPR. */
export const SIM_EXIT_CODES: Readonly<Record<SimFailureKind, number>> = {
  crash: 127,
  liveness: 128,
  correctness: 129,
  hung: 130,
};

/**
 * A violated safety property (correctness), a missed progress deadline (liveness), or a
 * run that exceeded its wall-clock budget (hung: the watchdog stopped it).
 */
export class SimFailure extends Error {
  constructor(
    readonly kind: SimFailureKind,
    message: string,
  ) {
    super(`${kind}: ${message}`);
    this.name = 'SimFailure';
  }
}
