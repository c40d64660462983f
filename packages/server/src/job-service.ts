import {
  InvalidInputError,
  parseInventory,
  parseWorkflow,
  plan as planJob,
  type JobRecord,
  type JobState,
  type PluginRegistry,
  type StoredEvent,
  type Targeting,
  type VariableValue,
} from '@scylla-cp/core';
import type { JobRunner } from './job-runner.js';
import type { Caller } from './token-auth.js';

/** A job submission: the same inputs as `scylla-cp run`, as text. */
export interface JobSubmission {
  /** The workflow YAML. */
  workflow: string;
  /** The cluster inventory YAML. */
  inventory: string;
  /** @default all nodes */
  targeting?: Targeting;
  /** Workflow variables (strings are coerced by the declared types). */
  variables?: Record<string, string | VariableValue>;
  /** Allow this job while another job is active on the cluster. @default false */
  allowConcurrent?: boolean;
}

/** A job operation was asked in a state that does not allow it (HTTP 409). */
export class JobStateConflictError extends InvalidInputError {
  static override readonly kind: string = 'JobStateConflictError';
  constructor(message: string, jobId: string, state: JobState) {
    super(message, { code: 'JOB_STATE_CONFLICT', details: { jobId, state } });
  }
}

/**
 * The API's operations on jobs, independent of HTTP. Every mutating call is
 * first recorded in the job's event log as `api.<action>` with its caller
 * (`data.caller`, `data.role`), then carried out:
 *
 * - submit: parse and plan (errors locate the problem in `workflow` or
 *   `inventory`), create the job `pending` (cluster lock checked), and let the
 *   runners pick it up;
 * - pause: a request every runner sees (at once when it runs here);
 * - cancel: a job no runner holds is cancelled at once; a running one gets a request;
 * - resume / retry / approve: this replica takes the job's lease and runs it.
 */
export class JobService {
  readonly #runner: JobRunner;
  readonly #registry: PluginRegistry;

  /** @param registry the plugins submitted workflows may use */
  constructor(runner: JobRunner, registry: PluginRegistry) {
    this.#runner = runner;
    this.#registry = registry;
  }

  get #store() {
    return this.#runner.engine.store;
  }

  #now(): number {
    return this.#runner.engine.clock.now();
  }

  async #audit(jobId: string, action: string, caller: Caller, data: Record<string, unknown> = {}): Promise<StoredEvent> {
    const store = this.#store;
    if (!store.appendEvent) throw new Error('this job store cannot record audit events (JobStore.appendEvent is missing)');
    return store.appendEvent(jobId, { at: this.#now(), type: `api.${action}`, data: { caller: caller.name, role: caller.role, ...data } });
  }

  /** Creates a job from a submission; the runners start it. */
  async submit(sub: JobSubmission, caller: Caller): Promise<JobRecord> {
    const workflow = parseWorkflow(sub.workflow, { registry: this.#registry, fileName: 'workflow' });
    const inventory = parseInventory(sub.inventory, { fileName: 'inventory' });
    const plan = planJob(workflow, inventory, sub.targeting ?? {}, sub.variables ?? {}, { registry: this.#registry });
    const engine = this.#runner.engine;
    const job = await this.#store.createJob({
      id: engine.newJobId(),
      cluster: plan.cluster,
      operator: caller.name,
      workflowName: plan.workflowName,
      workflowText: sub.workflow,
      plan,
      at: this.#now(),
      allowConcurrent: sub.allowConcurrent === true,
    });
    await this.#audit(job.id, 'submit', caller, { cluster: plan.cluster, workflow: plan.workflowName });
    this.#runner.kick();
    return this.#store.getJob(job.id);
  }

  /** Asks the job to pause after its in-flight steps. */
  async pause(jobId: string, caller: Caller): Promise<JobRecord> {
    const job = await this.#store.getJob(jobId);
    if (job.state !== 'running' && job.state !== 'pending') {
      throw new JobStateConflictError(`job ${jobId} is ${job.state}, not running: nothing to pause`, jobId, job.state);
    }
    await this.#audit(jobId, 'pause', caller);
    await this.#store.requestControl(jobId, 'pause', this.#now());
    if (!this.#runner.pauseLocal(jobId)) this.#runner.kick();
    return this.#store.getJob(jobId);
  }

  /**
   * Cancels the job (`Engine.cancel`): one that no runner holds at once; one
   * that runs (here or on another replica) stops starting steps, lets the steps
   * in flight finish (with `now`, aborts them; they still settle), then ends
   * `cancelled`.
   */
  async cancel(jobId: string, caller: Caller, now = false): Promise<JobRecord> {
    const store = this.#store;
    const job = await store.getJob(jobId);
    if (job.state === 'succeeded' || job.state === 'cancelled') {
      throw new JobStateConflictError(`job ${jobId} already ended (${job.state})`, jobId, job.state);
    }
    await this.#audit(jobId, 'cancel', caller, now ? { now: true } : {});
    await this.#runner.engine.cancel(jobId, { now, reason: `cancelled by ${caller.name} through the server` });
    return store.getJob(jobId);
  }

  /** Continues a paused (or interrupted) job here. */
  async resume(jobId: string, caller: Caller): Promise<JobRecord> {
    const job = await this.#store.getJob(jobId);
    if (job.state === 'failed') throw new JobStateConflictError(`job ${jobId} failed; retry it to attempt the failed steps again`, jobId, job.state);
    if (job.state !== 'paused' && job.state !== 'running' && job.state !== 'pending') {
      throw new JobStateConflictError(`job ${jobId} is ${job.state}; there is nothing to resume`, jobId, job.state);
    }
    return this.#runHere(job, 'resume', caller, {});
  }

  /** Resumes a failed job here, attempting its failed steps again. */
  async retry(jobId: string, caller: Caller): Promise<JobRecord> {
    const job = await this.#store.getJob(jobId);
    if (job.state !== 'failed') throw new JobStateConflictError(`job ${jobId} is ${job.state}, not failed: nothing to retry`, jobId, job.state);
    return this.#runHere(job, 'retry', caller, { retryFailed: true });
  }

  /**
   * Approves the step a paused job waits for (an `!approval` step or the
   * `--stop-after` canary; `step` names it, or a later one ahead of time)
   * through `Engine.approve`, which records it with the caller as approver
   * (`job.approved`), then continues the job here.
   * @throws JobStateConflictError (not paused); InvalidInputError from the engine (`NOTHING_TO_APPROVE`, `NOT_AN_APPROVAL`)
   */
  async approve(jobId: string, caller: Caller, step?: string): Promise<JobRecord> {
    const job = await this.#store.getJob(jobId);
    if (job.state !== 'paused') throw new JobStateConflictError(`job ${jobId} is ${job.state}, not paused: there is nothing waiting for approval`, jobId, job.state);
    if (this.#runner.local(jobId)) throw new JobStateConflictError(`job ${jobId} is already running (on this replica)`, jobId, job.state);
    await this.#audit(jobId, 'approve', caller, step === undefined ? {} : { step });
    await this.#runner.engine.approve(jobId, { approver: caller.name, ...(step !== undefined ? { stepId: step } : {}) });
    await this.#runner.run(jobId, {});
    return this.#store.getJob(jobId);
  }

  async #runHere(job: JobRecord, action: string, caller: Caller, options: { retryFailed?: boolean }, extra: Record<string, unknown> = {}): Promise<JobRecord> {
    const local = this.#runner.local(job.id);
    if (local) throw new JobStateConflictError(`job ${job.id} is already running (on this replica)`, job.id, job.state);
    await this.#audit(job.id, action, caller, extra);
    await this.#runner.run(job.id, options);
    return this.#store.getJob(job.id);
  }
}
