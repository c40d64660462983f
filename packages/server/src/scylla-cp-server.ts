import fastifySwagger from '@fastify/swagger';
import {
  ClusterLockedError,
  Engine,
  formatProblem,
  InvalidInputError,
  isErrorKind,
  JobNotFoundError,
  LeaseHeldError,
  PluginError,
  StoreUnavailableError,
  WebhookNotifier,
  WorkflowError,
  type Clock,
  type JobState,
  type JobStore,
  type Logger,
  type PluginRegistry,
  type WebhookNotifierOptions,
} from '@scylla-cp/core';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  approveBodySchema,
  cancelBodySchema,
  errorResponseSchema,
  eventsQuerySchema,
  jobDetailSchema,
  jobIdParamsSchema,
  jobSummarySchema,
  listJobsQuerySchema,
  storedEventSchema,
  submitJobBodySchema,
  toJobDetail,
  toJobSummary,
} from './api-schemas.js';
import { EngineMetrics } from './engine-metrics.js';
import { streamJobEvents } from './job-event-stream.js';
import { JobRunner } from './job-runner.js';
import { JobService, JobStateConflictError } from './job-service.js';
import { guardTakeovers } from './takeover-guard.js';
import { TokenRegistry, type Caller, type Role, type TokenEntry } from './token-auth.js';

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** The shared job database (PostgreSQL for several replicas; SQLite for one). */
  store: JobStore;
  /** The plugins workflows may use. */
  registry: PluginRegistry;
  /** Who may call the API (hashed tokens). */
  tokens: TokenRegistry | readonly TokenEntry[];
  /** Lease time-to-live, seconds: a dead replica's job is taken over this long after its last heartbeat. @default 30 */
  leaseTtlSeconds?: number;
  /** Seconds between lease renewals. @default leaseTtlSeconds / 3 */
  heartbeatSeconds?: number;
  /** Milliseconds between scans for jobs that no live runner holds. @default 500 */
  scanIntervalMs?: number;
  /** Most jobs this replica runs at once. @default 32 */
  maxConcurrentJobs?: number;
  /** This replica's lease holder name. @default `${hostname}:${pid}:${random}` (the engine's) */
  holder?: string;
  /** Serve HTTPS with this PEM certificate and key. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Require a viewer token on `/metrics`. @default false */
  metricsRequireAuth?: boolean;
  /** Milliseconds between store reads of an idle SSE stream. @default 250 */
  ssePollMs?: number;
  /** @default SystemClock */
  clock?: Clock;
  /** Seed of the engine's PRNG (job ids). */
  seed?: number;
  /** The engine's and runner's log lines. @default silent */
  logger?: Logger;
  /** Webhook notifications (Discord, Slack, generic) of the jobs this replica runs; failures count in `scylla_cp_notification_failures_total`. */
  notify?: Omit<WebhookNotifierOptions, 'clock'>;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
  interface FastifyContextConfig {
    /** Who may call the route: `public`, `viewer` (or operator), `operator`. */
    access?: 'public' | Role;
  }
}

/** A mapped API error. */
function apiError(status: number, code: string, message: string, extra: { problems?: string[]; details?: Record<string, unknown> } = {}) {
  return { status, body: { error: { code, message, ...extra } } };
}

/** Maps an error to the HTTP status and body the API returns. */
export function toApiError(error: unknown): { status: number; body: z.infer<typeof errorResponseSchema> } {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const problems = error.validation.map((v) => `${error.validationContext ?? 'request'}${v.instancePath.replace(/\//g, '.')}: ${v.message}`);
    return apiError(400, 'INVALID_REQUEST', `invalid request: ${problems.join('; ')}`, { problems });
  }
  if (error instanceof WorkflowError) {
    const problems = error.problems.map((p) => formatProblem(p));
    return apiError(400, 'INVALID_INPUT', `invalid input (${problems.length} problem${problems.length === 1 ? '' : 's'})`, { problems });
  }
  if (error instanceof JobNotFoundError) return apiError(404, error.code, error.message);
  if (error instanceof ClusterLockedError || error instanceof LeaseHeldError || error instanceof JobStateConflictError) {
    return apiError(409, error.code, error.message, { details: error.details });
  }
  // The engine's refusals that are about the job's state, not the request's shape.
  if (error instanceof InvalidInputError && ['JOB_FINISHED', 'JOB_FAILED', 'JOB_RUNNING', 'NOTHING_TO_APPROVE'].includes(error.code)) {
    return apiError(409, error.code, error.message, { details: error.details });
  }
  if (error instanceof InvalidInputError || error instanceof PluginError) return apiError(400, error.code, error.message, { details: error.details });
  if (error instanceof StoreUnavailableError) return apiError(503, error.code, error.message);
  const status = (error as { statusCode?: number } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return apiError(status, (error as { code?: string }).code ?? 'BAD_REQUEST', (error as Error).message);
  }
  const message = error instanceof Error ? error.message : String(error);
  return apiError(500, isErrorKind(error, 'ScyllaCpError') ? ((error as { code: string }).code ?? 'INTERNAL') : 'INTERNAL', message);
}

/**
 * A `scylla-cp server` replica: the HTTP API (Fastify, zod-validated,
 * OpenAPI at `/openapi.json`), its runner sharing jobs with the other
 * replicas through leases, and `/metrics`.
 */
export class ScyllaCpServer {
  /** The Fastify instance (routes, hooks, `app.swagger()`). */
  readonly app: FastifyInstance;
  /** This replica's engine (its `holder` names the replica in leases and events). */
  readonly engine: Engine;
  /** This replica's share of the work: scans, takeovers, handover on close. */
  readonly runner: JobRunner;
  /** The `/metrics` registry. */
  readonly metrics: EngineMetrics;
  /** The API's job operations, without HTTP. */
  readonly service: JobService;
  readonly #closing = new AbortController();

  /** Use {@link createServer}. */
  constructor(app: FastifyInstance, engine: Engine, runner: JobRunner, metrics: EngineMetrics, service: JobService) {
    this.app = app;
    this.engine = engine;
    this.runner = runner;
    this.metrics = metrics;
    this.service = service;
    app.addHook('onClose', async () => this.#closing.abort());
  }

  /** Aborted when the server closes (ends SSE streams). */
  get closingSignal(): AbortSignal {
    return this.#closing.signal;
  }

  /** Listens and starts the runner; returns the base URL (`http(s)://host:port`). */
  async listen(options: { host?: string; port?: number } = {}): Promise<string> {
    const url = await this.app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
    this.runner.start();
    return url;
  }

  /**
   * Stops: no new requests, SSE streams end, the jobs running here are paused
   * at a step boundary and handed back for another replica, then the engine
   * closes. The store stays open (the caller owns it).
   */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.app.close();
    await this.runner.stop();
    await this.engine.close();
  }
}

/** Builds a server replica (call `listen()` to serve and start running jobs). */
export async function createServer(options: ServerOptions): Promise<ScyllaCpServer> {
  if (typeof options.store.appendEvent !== 'function') {
    throw new InvalidInputError('createServer: this job store cannot record audit events without a lease (JobStore.appendEvent); use MemoryStore, SqliteStore or PostgresStore', {
      code: 'STORE_WITHOUT_AUDIT',
    });
  }
  const tokens = options.tokens instanceof TokenRegistry ? options.tokens : new TokenRegistry(options.tokens);
  const ttl = options.leaseTtlSeconds ?? 30;
  const engine = new Engine({
    // Scans take jobs over only if, under their new lease, they still are pending or running.
    store: guardTakeovers(options.store),
    registry: options.registry,
    clock: options.clock,
    holder: options.holder,
    seed: options.seed,
    logger: options.logger,
    leaseTtlSeconds: ttl,
    heartbeatSeconds: options.heartbeatSeconds ?? ttl / 3,
  });
  const metrics = new EngineMetrics({ store: options.store });
  metrics.attach(engine);
  if (options.notify && options.notify.targets.length > 0) new WebhookNotifier({ ...options.notify, clock: engine.clock }).attach(engine);
  const runner = new JobRunner({ engine, metrics, scanIntervalMs: options.scanIntervalMs, maxConcurrentJobs: options.maxConcurrentJobs, logger: options.logger });
  const service = new JobService(runner, options.registry);

  // Inventories of a thousand nodes are a few hundred KiB; the workflow parser has its own limits.
  const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024, ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}) }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'scylla-cp server', description: 'Submit, watch and control scylla-cp jobs.', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  const server = new ScyllaCpServer(app, engine, runner, metrics, service);

  app.decorateRequest('caller', undefined);
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const access = req.routeOptions.config?.access ?? 'operator';
    if (access === 'public') return;
    const caller = tokens.authenticateHeader(req.headers.authorization);
    if (!caller) {
      const e = apiError(401, 'UNAUTHENTICATED', 'missing or unknown bearer token (Authorization: Bearer <token>; see `scylla-cp server token`)');
      return reply.code(e.status).header('www-authenticate', 'Bearer').send(e.body);
    }
    if (access === 'operator' && caller.role !== 'operator') {
      const e = apiError(403, 'FORBIDDEN', `token "${caller.name}" has role ${caller.role}; this call needs an operator token`);
      return reply.code(e.status).send(e.body);
    }
    req.caller = caller;
  });
  app.setErrorHandler((error, _req, reply) => {
    const e = toApiError(error);
    if (e.status >= 500) options.logger?.error(`API error: ${e.body.error.message}`);
    void reply.code(e.status).send(e.body);
  });

  const api = app.withTypeProvider<ZodTypeProvider>();
  const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 403: errorResponseSchema, 404: errorResponseSchema, 409: errorResponseSchema, 503: errorResponseSchema };
  const jobResponse = z.object({ job: jobSummarySchema });

  api.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
  api.get('/healthz', { config: { access: 'public' }, schema: { tags: ['server'], summary: 'Liveness: this replica answers', response: { 200: z.object({ ok: z.boolean(), holder: z.string(), running: z.array(z.string()) }) } } }, async () => ({
    ok: true,
    holder: engine.holder,
    running: runner.running(),
  }));
  api.get('/metrics', { config: { access: options.metricsRequireAuth ? 'viewer' : 'public' }, schema: { tags: ['server'], summary: 'Engine metrics (Prometheus text format)' } }, async (_req, reply) => {
    const text = await metrics.metrics();
    return reply.type(metrics.contentType).send(text);
  });

  api.post(
    '/v1/jobs',
    { config: { access: 'operator' }, schema: { tags: ['jobs'], summary: 'Submit a job', body: submitJobBodySchema, response: { 201: jobResponse, ...errors } } },
    async (req, reply) => {
      const job = await service.submit(req.body, req.caller!);
      return reply.code(201).send({ job: toJobSummary(job) });
    },
  );
  api.get(
    '/v1/jobs',
    { config: { access: 'viewer' }, schema: { tags: ['jobs'], summary: 'List jobs, newest first', querystring: listJobsQuerySchema, response: { 200: z.object({ jobs: z.array(jobSummarySchema) }), ...errors } } },
    async (req) => {
      const q = req.query;
      const states = q.state === undefined ? undefined : ((Array.isArray(q.state) ? q.state : [q.state]) as JobState[]);
      const jobs = await options.store.listJobs({ cluster: q.cluster, states, limit: q.limit ?? 50 });
      return { jobs: jobs.map(toJobSummary) };
    },
  );
  api.get(
    '/v1/jobs/:id',
    { config: { access: 'viewer' }, schema: { tags: ['jobs'], summary: 'A job with its plan, step records and current lease', params: jobIdParamsSchema, response: { 200: jobDetailSchema, ...errors } } },
    async (req) => {
      const job = await options.store.getJob(req.params.id);
      return toJobDetail(job, await options.store.getSteps(job.id), await options.store.getLease?.(job.id));
    },
  );
  api.get(
    '/v1/jobs/:id/events',
    {
      config: { access: 'viewer' },
      schema: { tags: ['jobs'], summary: "A job's event log", params: jobIdParamsSchema, querystring: eventsQuerySchema, response: { 200: z.object({ events: z.array(storedEventSchema) }), ...errors } },
    },
    async (req) => {
      await options.store.getJob(req.params.id);
      return { events: await options.store.listEvents(req.params.id, { afterSeq: req.query.after, limit: req.query.limit ?? 1000 }) };
    },
  );
  api.get(
    '/v1/jobs/:id/stream',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['jobs'],
        summary: "Server-Sent Events: the job's events as they are recorded; ends with an `end` event once the job is paused or finished",
        params: jobIdParamsSchema,
        querystring: eventsQuerySchema,
        response: { ...errors },
      },
    },
    async (req, reply) => {
      await options.store.getJob(req.params.id);
      const lastId = Number(req.headers['last-event-id']);
      const afterSeq = Number.isFinite(lastId) && lastId > 0 ? lastId : (req.query.after ?? 0);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      const stop = new AbortController();
      const onClose = () => stop.abort();
      req.raw.on('close', onClose);
      server.closingSignal.addEventListener('abort', onClose, { once: true });
      try {
        await streamJobEvents({ store: options.store, jobId: req.params.id, afterSeq, write: (c) => raw.write(c), signal: stop.signal, pollMs: options.ssePollMs });
      } catch (e) {
        const err = toApiError(e);
        raw.write(`event: error\ndata: ${JSON.stringify(err.body.error)}\n\n`);
      } finally {
        req.raw.off('close', onClose);
        server.closingSignal.removeEventListener('abort', onClose);
        raw.end();
      }
    },
  );

  const action = (name: 'pause' | 'resume' | 'retry', summary: string) =>
    api.post(
      `/v1/jobs/:id/${name}`,
      { config: { access: 'operator' }, schema: { tags: ['jobs'], summary, params: jobIdParamsSchema, response: { 200: jobResponse, ...errors } } },
      async (req) => ({ job: toJobSummary(await service[name](req.params.id, req.caller!)) }),
    );
  action('pause', 'Pause after the steps in flight finish');
  action('resume', 'Continue a paused or interrupted job (run by this replica)');
  action('retry', 'Resume a failed job, attempting its failed steps again');
  api.post(
    '/v1/jobs/:id/cancel',
    {
      config: { access: 'operator' },
      schema: { tags: ['jobs'], summary: 'Cancel: at once if no runner holds the job, else after its steps in flight (with `now`, aborting them)', params: jobIdParamsSchema, body: cancelBodySchema, response: { 200: jobResponse, ...errors } },
    },
    async (req) => ({ job: toJobSummary(await service.cancel(req.params.id, req.caller!, req.body?.now === true)) }),
  );
  api.post(
    '/v1/jobs/:id/approve',
    { config: { access: 'operator' }, schema: { tags: ['jobs'], summary: 'Approve the step a paused job waits for (!approval or the canary), recorded with the caller, and continue it', params: jobIdParamsSchema, body: approveBodySchema, response: { 200: jobResponse, ...errors } } },
    async (req) => ({ job: toJobSummary(await service.approve(req.params.id, req.caller!, req.body?.step)) }),
  );

  await app.ready();
  return server;
}
