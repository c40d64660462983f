import type { EventEmitter } from 'eventemitter3';
import type { Logger } from '../api/logger.js';
import type { ServiceScope, Services } from '../api/services.js';
import type { Clock } from '../clock/clock.js';
import type { PluginRegistry } from '../plugin/plugin-registry.js';
import type { JobRecord, JobStore, Lease } from '../store/job-store.js';
import type { Prng } from '../util/prng.js';
import type { EngineEvents } from './engine-events.js';
import type { InFlightRegistry } from './in-flight-registry.js';
import type { ResumeState } from './resume-state.js';

/** Binds services for one execution scope (a `ServiceRegistry` satisfies it). */
export interface ServiceBinder {
  bind(scope: Omit<ServiceScope, 'services'>): Services;
  /** Releases cached services; called by `Engine.close()`. */
  dispose?(): Promise<void> | void;
}

/** Everything a run needs from its engine. @internal */
export interface JobRunDeps {
  emitter: EventEmitter<EngineEvents>;
  store: JobStore;
  registry: PluginRegistry;
  services: ServiceBinder;
  clock: Clock;
  prng: Prng;
  logger: Logger;
  leaseTtlMs: number;
  heartbeatMs: number;
  controlPollMs: number;
  jitterRatio: number;
  abandonGraceSeconds: number;
  inFlight: InFlightRegistry;
}

/** How a run begins. @internal */
export interface JobRunStart {
  job: JobRecord;
  lease: Lease;
  /** What earlier runs did; absent for a new job. */
  resume?: ResumeState;
  resumed: boolean;
  /**
   * Run the `finally_tasks` steps afresh at the end, whatever their records
   * say (a retry of a failed job: the clean-up that ran when it failed runs
   * again when the retried run ends). @default false
   */
  freshFinally?: boolean;
}
