import {
  InvalidInputError,
  JobNotFoundError,
  type ControlRequest,
  type JobQuery,
  type JobRecord,
  type JobStore,
  type Lease,
  type StepRecord,
  type StoredEvent,
} from '@scylla-cp/core';
import { ServerApiError, type ServerClient } from '@scylla-cp/server';

function readOnly(what: string): never {
  throw new InvalidInputError(`${what} is not available through the server API; use the server's job commands instead (run, pause, resume, retry, cancel, approve)`, {
    code: 'SERVER_READ_ONLY',
  });
}

/**
 * The read side of a `JobStore` over the server API, so that the CLI's
 * status, jobs and logs views work unchanged with `--server`. Writes throw.
 */
export class RemoteJobStore implements JobStore {
  readonly #client: ServerClient;

  constructor(client: ServerClient) {
    this.#client = client;
  }

  async #job<T>(jobId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ServerApiError && e.status === 404) throw new JobNotFoundError(jobId);
      throw e;
    }
  }

  async getJob(jobId: string): Promise<JobRecord> {
    return this.#job(jobId, async () => (await this.#client.get(jobId)).job);
  }

  async getSteps(jobId: string): Promise<StepRecord[]> {
    return this.#job(jobId, async () => (await this.#client.get(jobId)).steps);
  }

  /** The job's current lease as the server sees it (who runs it, until when), so status shows whether its runner is alive. */
  async getLease(jobId: string): Promise<Lease | undefined> {
    return this.#job(jobId, async () => (await this.#client.get(jobId)).lease);
  }

  async listJobs(query: JobQuery = {}): Promise<JobRecord[]> {
    const q: { cluster?: string; states?: string[]; limit?: number } = {};
    if (query.cluster !== undefined) q.cluster = query.cluster;
    if (query.states !== undefined) q.states = query.states;
    if (query.limit !== undefined) q.limit = query.limit;
    const jobs = await this.#client.list(q);
    // The list has no plans; the views that need one (progress counts) read the job.
    return Promise.all(jobs.map((j) => this.getJob(j.id)));
  }

  async listEvents(jobId: string, query: { afterSeq?: number; limit?: number } = {}): Promise<StoredEvent[]> {
    const events = await this.#job(jobId, () => this.#client.events(jobId, query.afterSeq ?? 0));
    return query.limit === undefined ? events : events.slice(0, query.limit);
  }

  createJob(): Promise<JobRecord> {
    return readOnly('creating a job record');
  }
  acquireLease(): Promise<Lease> {
    return readOnly('taking a lease');
  }
  renewLease(): Promise<Lease> {
    return readOnly('renewing a lease');
  }
  releaseLease(): Promise<void> {
    return readOnly('releasing a lease');
  }
  commit(): Promise<void> {
    return readOnly('writing a transition');
  }
  requestControl(_jobId: string, _action: ControlRequest): Promise<void> {
    return readOnly('recording a control request directly');
  }
  async close(): Promise<void> {}
}
