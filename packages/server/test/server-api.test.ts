import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore, type Lease, type Transition } from '@scylla-cp/core';
import { createServer, ServerClient, TakeoverDeclinedError, type ScyllaCpServer } from '../src/index.js';
import { coreRegistry, inventoryYaml, OPERATOR_TOKEN, readSse, sleepWorkflow, TEST_TOKENS, VIEWER_TOKEN, waitFor } from './helpers.js';

let server: ScyllaCpServer | undefined;
let store: MemoryStore;
let base = '';
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(): Promise<void> {
  store = new MemoryStore();
  server = await createServer({ store, registry: coreRegistry(), tokens: TEST_TOKENS, leaseTtlSeconds: 3, scanIntervalMs: 100, ssePollMs: 50 });
  base = await server.listen();
}

function call(method: string, path: string, token: string | undefined, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

async function jobState(id: string): Promise<string> {
  return ((await (await call('GET', `/v1/jobs/${id}`, VIEWER_TOKEN)).json()) as any).job.state;
}

describe('scylla-cp server API', () => {
  it('refuses calls without a known token, and mutating calls with a viewer token', async () => {
    await start();
    expect((await call('GET', '/v1/jobs', undefined)).status).toBe(401);
    expect((await call('GET', '/v1/jobs', 'scp_wrong')).status).toBe(401);
    expect((await call('GET', '/v1/jobs', VIEWER_TOKEN)).status).toBe(200);
    const res = await call('POST', '/v1/jobs', VIEWER_TOKEN, { workflow: sleepWorkflow(0), inventory: inventoryYaml('c1', 1) });
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).error.code).toBe('FORBIDDEN');
    expect(await store.listJobs()).toHaveLength(0);
  });

  it('runs a submitted job to success, streams its events over SSE and records the caller', async () => {
    await start();
    const res = await call('POST', '/v1/jobs', OPERATOR_TOKEN, { workflow: sleepWorkflow(0.05), inventory: inventoryYaml('c1', 3) });
    expect(res.status).toBe(201);
    const { job } = (await res.json()) as any;
    expect(job).toMatchObject({ cluster: 'c1', operator: 'alice' });
    const sse = await call('GET', `/v1/jobs/${job.id}/stream`, VIEWER_TOKEN);
    expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const msgs = await readSse(sse);
    const types = msgs.map((m) => m.event);
    expect(types[0]).toBe('api.submit');
    expect(msgs[0]!.data.data).toMatchObject({ caller: 'alice', role: 'operator' });
    expect(types.filter((t) => t === 'step.succeeded')).toHaveLength(3);
    expect(types.at(-2)).toBe('job.succeeded');
    expect(msgs.at(-1)).toMatchObject({ event: 'end', data: { state: 'succeeded' } });
    // ids are the store's sequence numbers, increasing: a client resumes with Last-Event-ID.
    const ids = msgs.filter((m) => m.id !== undefined).map((m) => Number(m.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const again = await readSse(await fetch(`${base}/v1/jobs/${job.id}/stream`, { headers: { authorization: `Bearer ${VIEWER_TOKEN}`, 'last-event-id': String(ids.at(-2)) } }));
    expect(again.map((m) => m.event)).toEqual(['job.succeeded', 'end']);
    const detail = (await (await call('GET', `/v1/jobs/${job.id}`, VIEWER_TOKEN)).json()) as any;
    expect(detail.steps.filter((s: { state: string }) => s.state === 'succeeded')).toHaveLength(3);
    expect(detail.lease).toBeUndefined(); // released when the run ended
  });

  it('says where a workflow is wrong (400 with file:line:column) and creates nothing', async () => {
    await start();
    const bad = sleepWorkflow(1).replace('seconds: 1', 'secnds: 1');
    const res = await call('POST', '/v1/jobs', OPERATOR_TOKEN, { workflow: bad, inventory: inventoryYaml('c1', 1) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe('INVALID_INPUT');
    expect(body.error.problems.join('\n')).toMatch(/workflow:8:\d+/);
    const res2 = await call('POST', '/v1/jobs', OPERATOR_TOKEN, { workflow: sleepWorkflow(1), inventory: inventoryYaml('c1', 1), extra: 1 });
    expect(res2.status).toBe(400);
    expect(await store.listJobs()).toHaveLength(0);
  });

  it('refuses a second job on a locked cluster (409 naming the job that holds it)', async () => {
    await start();
    const first = ((await (await call('POST', '/v1/jobs', OPERATOR_TOKEN, { workflow: sleepWorkflow(0.5), inventory: inventoryYaml('c1', 1) })).json()) as any).job;
    const res = await call('POST', '/v1/jobs', OPERATOR_TOKEN, { workflow: sleepWorkflow(0.5), inventory: inventoryYaml('c1', 1) });
    expect(res.status).toBe(409);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe('CLUSTER_LOCKED');
    expect(body.error.message).toContain(first.id);
  });

  it('pauses, resumes and cancels, recording each caller in the job events', async () => {
    await start();
    const { job } = (await (await call('POST', '/v1/jobs', OPERATOR_TOKEN, { workflow: sleepWorkflow(0.3), inventory: inventoryYaml('c1', 6) })).json()) as any;
    await waitFor('the job to run', async () => ((await jobState(job.id)) === 'running' ? true : undefined));
    const running = (await (await call('GET', `/v1/jobs/${job.id}`, VIEWER_TOKEN)).json()) as any;
    expect(running.lease).toMatchObject({ holder: server!.engine.holder, token: running.job.fencingToken });
    expect(running.lease.expiresAt).toBeGreaterThan(Date.now());
    expect((await call('POST', `/v1/jobs/${job.id}/pause`, VIEWER_TOKEN)).status).toBe(403);
    expect((await call('POST', `/v1/jobs/${job.id}/pause`, OPERATOR_TOKEN)).status).toBe(200);
    await waitFor('the job to pause', async () => ((await jobState(job.id)) === 'paused' ? true : undefined));
    expect((await call('POST', `/v1/jobs/${job.id}/retry`, OPERATOR_TOKEN)).status).toBe(409);
    expect((await call('POST', `/v1/jobs/${job.id}/resume`, OPERATOR_TOKEN)).status).toBe(200);
    expect(['running', 'pending']).toContain(await jobState(job.id));
    expect((await call('POST', `/v1/jobs/${job.id}/pause`, OPERATOR_TOKEN)).status).toBe(200);
    await waitFor('the job to pause again', async () => ((await jobState(job.id)) === 'paused' ? true : undefined));
    // A pause by a person is not an approval gate: nothing to approve (409), and it stays paused.
    const notGate = await call('POST', `/v1/jobs/${job.id}/approve`, OPERATOR_TOKEN, {});
    expect(notGate.status).toBe(409);
    expect(((await notGate.json()) as any).error.code).toBe('NOTHING_TO_APPROVE');
    expect(await jobState(job.id)).toBe('paused');
    expect((await call('POST', `/v1/jobs/${job.id}/resume`, OPERATOR_TOKEN)).status).toBe(200);
    const cancel = await call('POST', `/v1/jobs/${job.id}/cancel`, OPERATOR_TOKEN);
    expect(cancel.status).toBe(200);
    await waitFor('the job to be cancelled', async () => ((await jobState(job.id)) === 'cancelled' ? true : undefined));
    expect((await call('POST', `/v1/jobs/${job.id}/cancel`, OPERATOR_TOKEN)).status).toBe(409);
    const { events } = (await (await call('GET', `/v1/jobs/${job.id}/events`, VIEWER_TOKEN)).json()) as any;
    const audit = events.filter((e: { type: string }) => e.type.startsWith('api.'));
    expect(audit.map((e: { type: string }) => e.type)).toEqual(['api.submit', 'api.pause', 'api.resume', 'api.pause', 'api.approve', 'api.resume', 'api.cancel']);
    for (const e of audit) expect(e.data).toMatchObject({ caller: 'alice', role: 'operator' });
    // No step ran after the job was recorded cancelled.
    const cancelledAt = events.findIndex((e: { type: string }) => e.type === 'job.cancelled');
    expect(cancelledAt).toBeGreaterThan(0);
    expect(events.slice(cancelledAt + 1).filter((e: { type: string }) => e.type.startsWith('step.'))).toEqual([]);
  });

  it('documents its API in OpenAPI with bearer security', async () => {
    await start();
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as any;
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of ['/v1/jobs', '/v1/jobs/{id}', '/v1/jobs/{id}/stream', '/v1/jobs/{id}/pause', '/v1/jobs/{id}/resume', '/v1/jobs/{id}/retry', '/v1/jobs/{id}/cancel', '/v1/jobs/{id}/approve']) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
    expect(doc.paths['/v1/jobs'].post.requestBody.content['application/json'].schema.properties.workflow.type).toBe('string');
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});

describe('replicas in one process sharing a store', () => {
  it('hands a job over when the replica running it stops gracefully; the other one completes it', async () => {
    // The hand-back (paused -> pending) is slowed down, so that a stream reading the store sees the pause.
    class SlowHandoverStore extends MemoryStore {
      override async commit(lease: Lease, t: Transition): Promise<void> {
        if (t.job?.state === 'pending') await new Promise((r) => setTimeout(r, 600));
        return super.commit(lease, t);
      }
    }
    const shared = new SlowHandoverStore();
    const a = await createServer({ store: shared, registry: coreRegistry(), tokens: TEST_TOKENS, leaseTtlSeconds: 30, scanIntervalMs: 50, ssePollMs: 20 });
    const b = await createServer({ store: shared, registry: coreRegistry(), tokens: TEST_TOKENS, leaseTtlSeconds: 30, scanIntervalMs: 50, ssePollMs: 20 });
    const urlA = await a.listen();
    const urlB = await b.listen();
    try {
      const res = await fetch(`${urlA}/v1/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ workflow: sleepWorkflow(0.2), inventory: inventoryYaml('c1', 5) }),
      });
      const { job } = (await res.json()) as any;
      const runner = await waitFor('a replica to run the job', () => [a, b].find((s) => s.runner.running().includes(job.id)));
      const other = runner === a ? b : a;
      // Someone follows the job through the replica that stays: the handover must not end the stream.
      const follower = new ServerClient({ url: other === a ? urlA : urlB, token: VIEWER_TOKEN }).follow(job.id, () => {});
      const started = performance.now();
      await runner.close();
      // The lease TTL is 30 s: a takeover this fast can only be the handover.
      await waitFor('the other replica to take the job', () => (other.runner.running().includes(job.id) ? true : undefined), 10_000);
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(await waitFor('the job to end', async () => {
        const s = (await shared.getJob(job.id)).state;
        return s === 'succeeded' || s === 'failed' ? s : undefined;
      })).toBe('succeeded');
      const events = await shared.listEvents(job.id);
      expect(events.some((e) => e.type === 'job.handed-over')).toBe(true);
      expect((await follower).state).toBe('succeeded');
    } finally {
      await a.close().catch(() => {});
      await b.close().catch(() => {});
    }
  });

  it('applies a pause asked for while no runner holds the job, instead of running it', async () => {
    await start();
    // A job whose runner died while running: leased by a holder that never renews.
    const res = await call('POST', '/v1/jobs', OPERATOR_TOKEN, { workflow: sleepWorkflow(0.2), inventory: inventoryYaml('c1', 3) });
    const { job } = (await res.json()) as any;
    await waitFor('the job to run', async () => ((await jobState(job.id)) === 'running' ? true : undefined));
    await server!.close();
    server = undefined;
    // Stopping handed it back as pending; now a "dead runner" takes it and vanishes.
    const lease = await store.acquireLease(job.id, 'dead-host:1:0000000000000000', 1_000, Date.now());
    await store.commit(lease, { at: Date.now(), job: { state: 'running' }, events: [{ type: 'job.resumed', data: { holder: lease.holder, token: lease.token } }] });
    server = await createServer({ store, registry: coreRegistry(), tokens: TEST_TOKENS, leaseTtlSeconds: 3, scanIntervalMs: 50 });
    base = await server.listen();
    expect((await call('POST', `/v1/jobs/${job.id}/pause`, OPERATOR_TOKEN)).status).toBe(200);
    expect(await waitFor('the job to be paused', async () => ((await jobState(job.id)) === 'paused' ? 'paused' : undefined))).toBe('paused');
    const events = await store.listEvents(job.id);
    const after = events.slice(events.findIndex((e) => e.type === 'api.pause'));
    expect(after.filter((e) => e.type.startsWith('step.'))).toEqual([]);
  });

  it('cancels now: steps in flight are aborted, the job ends cancelled', async () => {
    await start();
    const { job } = (await (await call('POST', '/v1/jobs', OPERATOR_TOKEN, { workflow: sleepWorkflow(30), inventory: inventoryYaml('c1', 2) })).json()) as any;
    await waitFor('the first step to start', async () => ((await store.listEvents(job.id)).some((e) => e.type === 'step.started') ? true : undefined));
    const t0 = performance.now();
    expect((await call('POST', `/v1/jobs/${job.id}/cancel`, OPERATOR_TOKEN, { now: true })).status).toBe(200);
    await waitFor('the job to be cancelled', async () => ((await jobState(job.id)) === 'cancelled' ? true : undefined), 10_000);
    expect(performance.now() - t0).toBeLessThan(10_000);
    const audit = (await store.listEvents(job.id)).find((e) => e.type === 'api.cancel');
    expect(audit?.data).toMatchObject({ caller: 'alice', now: true });
  });
});

describe('a scan that listed a job before a person paused it', () => {
  it('does not resume the paused job (the state is read again under the new lease)', async () => {
    const shared = new MemoryStore();
    const s = await createServer({ store: shared, registry: coreRegistry(), tokens: TEST_TOKENS });
    try {
      // Not listening: no scan runs by itself; we play the stale scan by hand.
      const job = await s.service.submit({ workflow: sleepWorkflow(0.05), inventory: inventoryYaml('c1', 2) }, { name: 'alice', role: 'operator' });
      const listed = await shared.listJobs({ states: ['pending', 'running'] });
      expect(listed.map((j) => j.id)).toEqual([job.id]);
      // Meanwhile the job ran elsewhere and was paused by a person.
      const lease = await shared.acquireLease(job.id, 'elsewhere:1:0000000000000000', 30_000, Date.now());
      await shared.commit(lease, { at: Date.now(), job: { state: 'paused' }, events: [{ type: 'job.paused', data: {} }] });
      await shared.releaseLease(lease);
      await expect(s.runner.takeOver(job.id, false)).rejects.toBeInstanceOf(TakeoverDeclinedError);
      expect((await shared.getJob(job.id)).state).toBe('paused');
      expect(s.runner.running()).toEqual([]);
      expect((await shared.listEvents(job.id)).map((e) => e.type)).not.toContain('job.resumed');
      // An explicit resume still runs it.
      await s.service.resume(job.id, { name: 'alice', role: 'operator' });
      expect(await waitFor('the job to end', async () => {
        const st = (await shared.getJob(job.id)).state;
        return st === 'succeeded' ? st : undefined;
      })).toBe('succeeded');
    } finally {
      await s.close();
    }
  });
});

describe('two operators racing', () => {
  it('resume of one paused job sent to two replicas at once: one runs it, the other answers 409', async () => {
    const shared = new MemoryStore();
    const a = await createServer({ store: shared, registry: coreRegistry(), tokens: TEST_TOKENS, scanIntervalMs: 50 });
    const b = await createServer({ store: shared, registry: coreRegistry(), tokens: TEST_TOKENS, scanIntervalMs: 50 });
    const urls = [await a.listen(), await b.listen()];
    try {
      const post = (u: string, p: string, body?: unknown) =>
        fetch(`${u}${p}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        });
      const { job } = (await (await post(urls[0]!, '/v1/jobs', { workflow: sleepWorkflow(0.1), inventory: inventoryYaml('c1', 4) })).json()) as any;
      await waitFor('the job to run', async () => ((await shared.getJob(job.id)).state === 'running' ? true : undefined));
      expect((await post(urls[1]!, `/v1/jobs/${job.id}/pause`)).status).toBe(200);
      await waitFor('the job to pause', async () => ((await shared.getJob(job.id)).state === 'paused' ? true : undefined));
      const [r1, r2] = await Promise.all([post(urls[0]!, `/v1/jobs/${job.id}/resume`), post(urls[1]!, `/v1/jobs/${job.id}/resume`)]);
      expect([r1.status, r2.status].sort()).toEqual([200, 409]);
      expect(await waitFor('the job to end', async () => {
        const s = (await shared.getJob(job.id)).state;
        return s === 'succeeded' || s === 'failed' ? s : undefined;
      })).toBe('succeeded');
      const events = await shared.listEvents(job.id);
      const afterPause = events.slice(events.findIndex((e) => e.type === 'job.paused'));
      expect(afterPause.filter((e) => e.type === 'job.resumed')).toHaveLength(1);
      // Each step succeeded exactly once.
      const succeeded = events.filter((e) => e.type === 'step.succeeded').map((e) => e.stepId);
      expect(new Set(succeeded).size).toBe(succeeded.length);
      expect(succeeded).toHaveLength(4);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('human gates', () => {
  it('approve: the job paused at !approval goes on, the approval recorded with the caller', async () => {
    await start();
    const workflow = `name: gated\ncluster_tasks:\n  - task: !approval {message: "look at the dashboards"}\n  - task: !node-workflow\n      name: sleep\n      node_tasks:\n        - task: !sleep\n            seconds: 0.01\n`;
    const { job } = (await (await call('POST', '/v1/jobs', OPERATOR_TOKEN, { workflow, inventory: inventoryYaml('c1', 2) })).json()) as any;
    await waitFor('the job to pause at the gate', async () => ((await jobState(job.id)) === 'paused' ? true : undefined));
    expect(await store.getSteps(job.id).then((s) => s.filter((r) => r.state === 'succeeded'))).toEqual([]);
    expect((await call('POST', `/v1/jobs/${job.id}/approve`, VIEWER_TOKEN, {})).status).toBe(403);
    const res = await call('POST', `/v1/jobs/${job.id}/approve`, OPERATOR_TOKEN, { step: 's0' });
    expect(res.status).toBe(200);
    await waitFor('the job to succeed', async () => ((await jobState(job.id)) === 'succeeded' ? true : undefined));
    const events = await store.listEvents(job.id);
    expect(events.find((e) => e.type === 'api.approve')?.data).toMatchObject({ caller: 'alice', step: 's0' });
    expect(events.find((e) => e.type === 'job.approved')?.data).toMatchObject({ by: 'alice', stepId: 's0' });
  });
});
