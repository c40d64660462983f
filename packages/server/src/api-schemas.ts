import type { JobRecord, Lease, StepRecord, StoredEvent } from '@scylla-cp/core';
import { z } from 'zod';

/** Job states (`state` query and field). */
export const jobStateSchema = z.enum(['pending', 'running', 'paused', 'succeeded', 'failed', 'cancelled']);

/** Body of `POST /v1/jobs`. */
export const submitJobBodySchema = z
  .strictObject({
    workflow: z.string().min(1).describe('The workflow YAML, as in a workflow file.'),
    inventory: z.string().min(1).describe('The cluster inventory YAML, as in an inventory file.'),
    targeting: z
      .strictObject({
        nodes: z.array(z.string().min(1)).optional().describe('Only these nodes (ids or addresses).'),
        zones: z.array(z.string().min(1)).optional().describe('Only the nodes of these zones.'),
        exclude: z.array(z.string().min(1)).optional().describe('Leave these nodes out.'),
      })
      .optional(),
    variables: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]))
      .optional()
      .describe('Workflow variables; strings are coerced by the declared types.'),
    allowConcurrent: z.boolean().optional().describe('Allow this job while another job is active on the cluster.'),
  })
  .describe('A job: the same inputs as `scylla-cp run`.');

/** `:id` path parameter. */
export const jobIdParamsSchema = z.strictObject({ id: z.string().min(1).max(200) });

/** Query of `GET /v1/jobs`. */
export const listJobsQuerySchema = z.strictObject({
  cluster: z.string().optional(),
  state: z.union([jobStateSchema, z.array(jobStateSchema)]).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

/** Query of `GET /v1/jobs/:id/events` and `/stream`. */
export const eventsQuerySchema = z.strictObject({
  after: z.coerce.number().int().min(0).optional().describe('Only events with a greater sequence number.'),
  limit: z.coerce.number().int().min(1).max(10000).optional(),
});

/** Body of `POST /v1/jobs/:id/cancel` (optional). */
export const cancelBodySchema = z.strictObject({ now: z.boolean().optional().describe('Abort the steps in flight (they still settle) instead of letting them finish.') }).nullish();

/** Body of `POST /v1/jobs/:id/approve`. */
export const approveBodySchema = z.strictObject({ step: z.string().min(1).optional().describe('The approval step (default: the one the paused job waits for; a later one approves it ahead of time).') }).nullish();

const errorDetailSchema = z.looseObject({ name: z.string(), message: z.string(), code: z.string().optional() });

/** A job as the API returns it (without its plan and workflow text). */
export const jobSummarySchema = z.object({
  id: z.string(),
  cluster: z.string(),
  operator: z.string(),
  workflowName: z.string(),
  state: jobStateSchema,
  createdAt: z.number().describe('ms since epoch'),
  updatedAt: z.number().describe('ms since epoch'),
  error: errorDetailSchema.optional(),
  control: z.string().optional().describe('A pending control request (pause, cancel, ...).'),
  fencingToken: z.number(),
});

/** A job's current lease: who runs it, under which fencing token, until when (ms since epoch). */
export const leaseSchema = z.object({ jobId: z.string(), holder: z.string(), token: z.number(), expiresAt: z.number() });

/** A job with its plan, workflow text, step records and current lease (absent when none is held). */
export const jobDetailSchema = z.object({
  job: jobSummarySchema.extend({ workflowText: z.string(), plan: z.unknown() }),
  steps: z.array(z.looseObject({ stepId: z.string(), state: z.string(), attempts: z.number() })),
  lease: leaseSchema.optional(),
});

/** A stored event. */
export const storedEventSchema = z.object({
  seq: z.number(),
  jobId: z.string(),
  at: z.number(),
  type: z.string(),
  stepId: z.string().optional(),
  data: z.record(z.string(), z.unknown()),
});

/** Every error response: `{ error: { code, message, problems? } }`. */
export const errorResponseSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    problems: z.array(z.string()).optional().describe('Each problem with its location (workflow:line:column).'),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

/** The summary of a job record. */
export function toJobSummary(j: JobRecord): z.infer<typeof jobSummarySchema> {
  const out: z.infer<typeof jobSummarySchema> = {
    id: j.id,
    cluster: j.cluster,
    operator: j.operator,
    workflowName: j.workflowName,
    state: j.state,
    createdAt: j.createdAt,
    updatedAt: j.updatedAt,
    fencingToken: j.fencingToken,
  };
  if (j.error) out.error = j.error as unknown as z.infer<typeof errorDetailSchema>;
  if (j.control) out.control = j.control;
  return out;
}

/** The detail of a job record with its steps and lease. */
export function toJobDetail(j: JobRecord, steps: StepRecord[], lease?: Lease): z.infer<typeof jobDetailSchema> {
  const out: z.infer<typeof jobDetailSchema> = { job: { ...toJobSummary(j), workflowText: j.workflowText, plan: j.plan }, steps: steps as unknown as z.infer<typeof jobDetailSchema>['steps'] };
  if (lease) out.lease = { jobId: lease.jobId, holder: lease.holder, token: lease.token, expiresAt: lease.expiresAt };
  return out;
}

/** A stored event as returned. */
export function toEvent(e: StoredEvent): z.infer<typeof storedEventSchema> {
  return e;
}
