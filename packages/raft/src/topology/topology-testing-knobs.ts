/**
 * Deliberate defects, one per safety mechanism, for mutation tests: each proves that the
 * topology simulation notices when that mechanism is missing. Never set them in production.
 * Every field defaults to false.
 */
export interface TopologyTestingKnobs {
  /** Admission queues a request that conflicts with an open request for the same node (e.g. remove and replace of one node). */
  readonly skipConflictCheck?: boolean;
  /** The global barrier does not raise `fenceVersion` to the barriered version. */
  readonly skipFence?: boolean;
  /** The node agent accepts commands from coordinators of stale terms. */
  readonly skipStaleTermCheck?: boolean;
  /** The coordinator does not roll back a join or replace whose node the failure detector reports dead. */
  readonly skipDeadJoinerAbort?: boolean;
  /** The node agent streams for any session (a stale stream may complete a newer operation). */
  readonly skipStreamSessionCheck?: boolean;
}
