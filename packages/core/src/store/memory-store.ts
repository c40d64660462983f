import { ClusterLockedError, ControlRequestedError, JobFinishedError, JobNotFoundError, LeaseHeldError, StaleFencingTokenError, StoreUnavailableError } from '../errors/store-errors.js';
import { InvalidInputError } from '../errors/input-errors.js';
import type { JobPlan } from '../plan/job-plan.js';
import {
  ACTIVE_JOB_STATES,
  CONTROL_REQUESTS,
  JOB_STATES,
  isFinalJobState,
  toResumeRecords,
  type AcquireLeaseOptions,
  type AuditEvent,
  type ControlRequest,
  type JobCountsByState,
  type JobQuery,
  type JobRecord,
  type JobState,
  type JobStore,
  type Lease,
  type NewJob,
  type ResumeRecords,
  type StepRecord,
  type StoredEvent,
  type Transition,
} from './job-store.js';

interface StoredJob {
  record: JobRecord;
  /** Insertion order, breaks createdAt ties in listJobs. */
  order: number;
  allowConcurrent: boolean;
  lease?: Lease;
  steps: Map<string, StepRecord>;
  events: StoredEvent[];
}

const ACTIVE = new Set<JobState>(ACTIVE_JOB_STATES);

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

/** Copies a JSON-like value (undefined stays undefined). */
function clone<T>(value: T): T {
  return value === undefined || value === null || typeof value !== 'object' ? value : structuredClone(value);
}

/**
 * A {@link JobStore} held in memory: for tests, benchmarks, dry runs and
 * embedding. Keeps every rule of the `JobStore` contract (cluster lock,
 * fencing tokens, atomic commits). Nothing survives the process.
 *
 * Values are copied on the way in and out, except each job's plan, which is
 * deep-frozen at `createJob` and shared by every returned `JobRecord`.
 */
export class MemoryStore implements JobStore {
  /** Honours `Transition.unlessControlRequested`. */
  readonly commitChecksControl: boolean = true;
  readonly #jobs = new Map<string, StoredJob>();
  #order = 0;
  #seq = 0;
  #closed = false;

  #open(): void {
    if (this.#closed) throw new StoreUnavailableError('the memory store is closed; open a new one');
  }

  #job(jobId: string): StoredJob {
    const job = this.#jobs.get(jobId);
    if (!job) throw new JobNotFoundError(jobId);
    return job;
  }

  #activeOther(cluster: string, exceptJobId: string): StoredJob | undefined {
    let newest: StoredJob | undefined;
    for (const j of this.#jobs.values()) {
      if (j.record.id !== exceptJobId && j.record.cluster === cluster && ACTIVE.has(j.record.state)) {
        if (!newest || j.order > newest.order) newest = j;
      }
    }
    return newest;
  }

  #lockError(cluster: string, holder: StoredJob): ClusterLockedError {
    return new ClusterLockedError(cluster, holder.record.id, holder.record.operator, holder.record.state);
  }

  #checkToken(lease: Lease): StoredJob {
    const job = this.#job(lease.jobId);
    if (lease.token < 1 || lease.token !== job.record.fencingToken) {
      throw new StaleFencingTokenError(lease.jobId, lease.token, job.record.fencingToken);
    }
    return job;
  }

  async createJob(job: NewJob): Promise<JobRecord> {
    this.#open();
    if (this.#jobs.has(job.id)) {
      throw new InvalidInputError(`job id ${job.id} already exists in this store; choose another id`, { code: 'DUPLICATE_JOB_ID' });
    }
    if (!job.allowConcurrent) {
      const other = this.#activeOther(job.cluster, job.id);
      if (other) throw this.#lockError(job.cluster, other);
    }
    const record: JobRecord = {
      id: job.id,
      cluster: job.cluster,
      operator: job.operator,
      workflowName: job.workflowName,
      workflowText: job.workflowText,
      plan: deepFreeze(structuredClone(job.plan)) as JobPlan,
      state: 'pending',
      createdAt: job.at,
      updatedAt: job.at,
      fencingToken: 0,
    };
    this.#jobs.set(job.id, {
      record,
      order: this.#order++,
      allowConcurrent: job.allowConcurrent === true,
      steps: new Map(),
      events: [],
    });
    return this.#copyJob(record);
  }

  #copyJob(r: JobRecord): JobRecord {
    const copy: JobRecord = { ...r };
    if (r.error !== undefined) copy.error = clone(r.error);
    return copy;
  }

  async getJob(jobId: string): Promise<JobRecord> {
    this.#open();
    return this.#copyJob(this.#job(jobId).record);
  }

  async listJobs(query: JobQuery = {}): Promise<JobRecord[]> {
    this.#open();
    const states = query.states ? new Set(query.states) : undefined;
    const limit = query.limit ?? 50;
    return [...this.#jobs.values()]
      .filter((j) => (query.cluster === undefined || j.record.cluster === query.cluster) && (!states || states.has(j.record.state)))
      .sort((a, b) => b.record.createdAt - a.record.createdAt || b.order - a.order)
      .slice(0, Math.max(0, limit))
      .map((j) => this.#copyJob(j.record));
  }

  async countJobsByState(query: { cluster?: string } = {}): Promise<JobCountsByState> {
    this.#open();
    const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as JobCountsByState;
    for (const j of this.#jobs.values()) if (query.cluster === undefined || j.record.cluster === query.cluster) counts[j.record.state]++;
    return counts;
  }

  async acquireLease(jobId: string, holder: string, ttlMs: number, nowMs: number, options: AcquireLeaseOptions = {}): Promise<Lease> {
    this.#open();
    const job = this.#job(jobId);
    const current = job.lease;
    if (current && current.holder !== holder && current.expiresAt > nowMs && current.holder !== options.takeOverFrom) {
      throw new LeaseHeldError(jobId, current.holder, new Date(current.expiresAt).toISOString(), { remainingMs: current.expiresAt - nowMs });
    }
    job.record.fencingToken += 1;
    const lease: Lease = { jobId, holder, token: job.record.fencingToken, expiresAt: nowMs + ttlMs };
    job.lease = lease;
    return { ...lease };
  }

  async getLease(jobId: string): Promise<Lease | undefined> {
    this.#open();
    const lease = this.#job(jobId).lease;
    return lease ? { ...lease } : undefined;
  }

  async renewLease(lease: Lease, ttlMs: number, nowMs: number): Promise<Lease> {
    this.#open();
    const job = this.#checkToken(lease);
    const renewed: Lease = { jobId: lease.jobId, holder: lease.holder, token: lease.token, expiresAt: nowMs + ttlMs };
    job.lease = renewed;
    return { ...renewed };
  }

  async releaseLease(lease: Lease): Promise<void> {
    this.#open();
    const job = this.#checkToken(lease);
    job.lease = undefined;
  }

  async commit(lease: Lease, transition: Transition): Promise<void> {
    this.#open();
    const job = this.#checkToken(lease);
    const rec = job.record;
    const t = transition.job;
    // Validate everything before changing anything: all or nothing.
    if (isFinalJobState(rec.state)) throw new JobFinishedError(rec.id, rec.state);
    if (transition.unlessControlRequested === true && rec.control !== undefined) throw new ControlRequestedError(rec.id, rec.control);
    // Leaving `failed` for running/paused/pending (a retry) re-checks the lock.
    if (t && rec.state === 'failed' && t.state !== 'failed' && ACTIVE.has(t.state) && !job.allowConcurrent) {
      const other = this.#activeOther(rec.cluster, rec.id);
      if (other) throw this.#lockError(rec.cluster, other);
    }
    const stepUpdates = transition.steps ?? [];
    const newSteps: StepRecord[] = [];
    for (const u of stepUpdates) {
      const prev = job.steps.get(u.stepId);
      const next: StepRecord = prev ? { ...prev } : { jobId: rec.id, stepId: u.stepId, state: u.state, attempts: u.attempts };
      next.state = u.state;
      next.attempts = u.attempts;
      if (u.nodeId !== undefined) next.nodeId = u.nodeId;
      // started_at is the first attempt's time: never moved once set.
      if (u.startedAt !== undefined && next.startedAt === undefined) next.startedAt = u.startedAt;
      if (u.finishedAt !== undefined) next.finishedAt = u.finishedAt;
      if (u.lastError === null) delete next.lastError;
      else if (u.lastError !== undefined) next.lastError = clone(u.lastError);
      if (u.result !== undefined) next.result = clone(u.result);
      newSteps.push(next);
    }
    const events: StoredEvent[] = [];
    let seq = this.#seq;
    for (const e of transition.events ?? []) {
      const ev: StoredEvent = { seq: ++seq, jobId: rec.id, at: transition.at, type: e.type, data: clone(e.data) ?? {} };
      if (e.stepId !== undefined) ev.stepId = e.stepId;
      events.push(ev);
    }
    // Apply.
    this.#seq = seq;
    for (const s of newSteps) job.steps.set(s.stepId, s);
    for (const e of events) job.events.push(e);
    if (t) {
      rec.state = t.state;
      if (t.error === null) delete rec.error;
      else if (t.error !== undefined) rec.error = clone(t.error);
      if (t.clearControl) delete rec.control;
    }
    if (transition.plan !== undefined) rec.plan = deepFreeze(structuredClone(transition.plan)) as JobPlan;
    rec.updatedAt = transition.at;
  }

  async getSteps(jobId: string): Promise<StepRecord[]> {
    this.#open();
    const job = this.#job(jobId);
    const out: StepRecord[] = [];
    for (const s of job.steps.values()) {
      const c = { ...s };
      if (s.lastError !== undefined) c.lastError = clone(s.lastError);
      if (s.result !== undefined) c.result = clone(s.result);
      out.push(c);
    }
    return out;
  }

  /** {@link getSteps}, split as a resume reads it. @throws JobNotFoundError */
  async getResumeRecords(jobId: string): Promise<ResumeRecords> {
    return toResumeRecords(await this.getSteps(jobId));
  }

  async listEvents(jobId: string, query: { afterSeq?: number; limit?: number } = {}): Promise<StoredEvent[]> {
    this.#open();
    const events = this.#job(jobId).events;
    const after = query.afterSeq ?? 0;
    // Binary search for the first event with seq > after.
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (events[mid]!.seq <= after) lo = mid + 1;
      else hi = mid;
    }
    const end = query.limit === undefined ? events.length : Math.min(events.length, lo + Math.max(0, query.limit));
    return events.slice(lo, end).map((e) => ({ ...e, data: clone(e.data) }));
  }

  async requestControl(jobId: string, action: ControlRequest, nowMs: number): Promise<void> {
    this.#open();
    const job = this.#job(jobId);
    if (!CONTROL_REQUESTS.includes(action)) {
      throw new InvalidInputError(`requestControl: action must be one of ${CONTROL_REQUESTS.join(', ')}, got ${String(action)}`, { code: 'INVALID_OPTION' });
    }
    job.record.control = action;
    job.record.updatedAt = nowMs;
  }

  /** Appends an audit event to the job's log (no lease; the job's state is untouched). @throws JobNotFoundError */
  async appendEvent(jobId: string, event: AuditEvent): Promise<StoredEvent> {
    this.#open();
    const job = this.#job(jobId);
    const ev: StoredEvent = { seq: ++this.#seq, jobId, at: event.at, type: event.type, data: clone(event.data) };
    if (event.stepId !== undefined) ev.stepId = event.stepId;
    job.events.push(ev);
    return { ...ev, data: clone(ev.data) };
  }

  /** Closes the store; every later call throws `StoreUnavailableError`. */
  async close(): Promise<void> {
    this.#closed = true;
  }
}
