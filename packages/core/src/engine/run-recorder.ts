import { isErrorKind } from '../errors/scylla-cp-error.js';
import type { ControlRequestedError } from '../errors/store-errors.js';
import type { ControlRequest, JobStore, Lease, Transition } from '../store/job-store.js';
import type { RunState } from './run-state.js';

/** What a {@link RunRecorder} needs from its run. @internal */
export interface RunRecorderHost {
  readonly store: JobStore;
  readonly state: RunState;
  /** The run's current lease (renewed by its `LeaseKeeper`). */
  lease(): Lease;
  /** The store cannot be written safely: the run stops at once. */
  stopFatal(error: unknown): void;
  /** A pending pause/cancel request the store refused a step's start for. */
  onControlRequest(request: ControlRequest): void;
}

/**
 * The run's writes to the store under its lease: a failed write stops the run
 * (`stopFatal`), and nothing more is written once it has (except a held step
 * success, see {@link commitHeldSuccess}). @internal
 */
export class RunRecorder {
  constructor(private readonly h: RunRecorderHost) {}

  /** Commits `t`; false when the run is stopping on a store failure (or this write failed). */
  async commit(t: Transition): Promise<boolean> {
    if (this.h.state.storeError !== undefined) return false;
    try {
      await this.h.store.commit(this.h.lease(), t);
      return true;
    } catch (e) {
      this.h.stopFatal(e);
      return false;
    }
  }

  /**
   * Commits a held step success on its own (see `StepLane`), even while the run is
   * stopping on a store failure: recording a success is no action on the cluster, and
   * the store's fencing refuses it if another runner has taken the job over.
   */
  async commitHeldSuccess(t: Transition): Promise<boolean> {
    try {
      await this.h.store.commit(this.h.lease(), t);
      return true;
    } catch (e) {
      this.h.stopFatal(e);
      return false;
    }
  }

  /** Commits a step's start; a refusal for a pending control request hands the request to the run. */
  async commitStart(t: Transition): Promise<'started' | 'control' | 'stopped'> {
    if (this.h.state.storeError !== undefined) return 'stopped';
    try {
      await this.h.store.commit(this.h.lease(), t);
      return 'started';
    } catch (e) {
      if (t.unlessControlRequested === true && isErrorKind(e, 'ControlRequestedError')) {
        this.h.onControlRequest((e as ControlRequestedError).request);
        return 'control';
      }
      this.h.stopFatal(e);
      return 'stopped';
    }
  }
}
