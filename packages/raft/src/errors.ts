import type { NodeId } from './core/messages.js';

const KINDS = Symbol.for('@scylla-cp/raft:error-kinds');

/**
 * Root of every error this package throws or rejects with. `instanceof` works across
 * copies of the package: each class has a static `kind`, and an instance carries the
 * kinds of its whole class chain under a `Symbol.for` key. Every code is listed in
 * `RAFT_ERROR_CODES` (`raft-error-codes.ts`).
 */
export class RaftError extends Error {
  /** Stable name of the error class, used for cross-copy `instanceof`. */
  static readonly kind: string = 'RaftError';
  /** True when retrying the same operation later may succeed. */
  readonly retryable: boolean;
  /** A stable machine-readable code, e.g. `NOT_LEADER` (listed in `RAFT_ERROR_CODES`). @default 'RAFT_ERROR' */
  readonly code: string;

  constructor(message: string, retryable = false, code = 'RAFT_ERROR') {
    super(message);
    this.retryable = retryable;
    this.code = code;
    const kinds: string[] = [];
    for (let c = new.target as unknown as { kind?: string } | null; c && c.kind; c = Object.getPrototypeOf(c)) {
      if (!kinds.includes(c.kind)) kinds.push(c.kind);
    }
    Object.defineProperty(this, KINDS, { value: kinds, enumerable: false });
    this.name = kinds[0] ?? 'RaftError';
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const kinds = (value as Record<symbol, unknown>)[KINDS];
    return Array.isArray(kinds) && kinds.includes((this as unknown as { kind: string }).kind);
  }
}

/** This member is not the leader. `leader` is the current leader hint (null when unknown); retry there. */
export class NotLeaderError extends RaftError {
  static override readonly kind: string = 'NotLeaderError';
  constructor(
    readonly leader: NodeId | null,
    where = 'this member',
  ) {
    super(
      `${where} is not the Raft leader; ${leader === null ? 'no leader is known yet, retry after an election' : `send the request to leader ${leader}`}`,
      true,
      'NOT_LEADER',
    );
  }
}

/** The proposal was definitely not applied (overwritten by another leader's entry, or refused). Safe to retry. */
export class ProposalDroppedError extends RaftError {
  static override readonly kind: string = 'ProposalDroppedError';
  constructor(message = 'the proposal was dropped: another leader overwrote its log position; it was not applied, retry it') {
    super(message, true, 'PROPOSAL_DROPPED');
  }
}

/** The proposal may or may not have been applied (timeout, or overtaken by a snapshot). Check before retrying. */
export class CommitStatusUnknownError extends RaftError {
  static override readonly kind: string = 'CommitStatusUnknownError';
  constructor(message = 'the commit status of the proposal is unknown; read the state to find out whether it was applied') {
    super(message, true, 'COMMIT_STATUS_UNKNOWN');
  }
}

/** The server is stopped; create and start a new one. */
export class StoppedError extends RaftError {
  static override readonly kind: string = 'StoppedError';
  constructor(message = 'the Raft server is stopped; start a new RaftServer to continue') {
    super(message, false, 'STOPPED');
  }
}

/** A membership change is still in progress; wait for it to finish before proposing another. */
export class ConfChangeInProgressError extends RaftError {
  static override readonly kind: string = 'ConfChangeInProgressError';
  constructor() {
    super('a membership change is already in progress; wait until it commits (and joint consensus is left) and retry', true, 'CONF_CHANGE_IN_PROGRESS');
  }
}

/** A membership change is invalid against the current configuration. */
export class InvalidConfChangeError extends RaftError {
  static override readonly kind: string = 'InvalidConfChangeError';
  constructor(message: string) {
    super(message, false, 'INVALID_CONF_CHANGE');
  }
}

/** An operation did not complete within its deadline; for reads and transfers it is safe to retry. */
export class RaftTimeoutError extends RaftError {
  static override readonly kind: string = 'RaftTimeoutError';
  constructor(message: string) {
    super(message, true, 'RAFT_TIMEOUT');
  }
}
