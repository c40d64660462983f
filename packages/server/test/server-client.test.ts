import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { MemoryStore, type StoredEvent } from '@scylla-cp/core';
import { createServer, ServerApiError, ServerClient } from '../src/index.js';
import { coreRegistry, inventoryYaml, OPERATOR_TOKEN, sleepWorkflow, TEST_TOKENS, VIEWER_TOKEN } from './helpers.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

describe('ServerClient', () => {
  it('follows a job across the death of the replica serving its stream: no event lost or repeated', async () => {
    const store = new MemoryStore();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const opts = { store, registry: coreRegistry(), tokens: TEST_TOKENS, leaseTtlSeconds: 3, scanIntervalMs: 50, ssePollMs: 30 };
    let a = await createServer(opts);
    await a.listen({ port });
    const client = new ServerClient({ url, token: OPERATOR_TOKEN, streamRetryDelayMs: 100 });
    const job = await client.submit({ workflow: sleepWorkflow(0.15), inventory: inventoryYaml('c1', 6) });
    const seen: StoredEvent[] = [];
    let replaced = false;
    const end = await client.follow(job.id, (e) => {
      seen.push(e);
      if (!replaced && e.type === 'step.succeeded') {
        replaced = true;
        // The replica serving the stream (and running the job) goes away; another one comes up at the same address.
        void (async () => {
          await a.close();
          a = await createServer(opts);
          await a.listen({ port });
        })();
      }
    });
    try {
      expect(replaced).toBe(true);
      expect(end.state).toBe('succeeded');
      const stored = await store.listEvents(job.id);
      expect(seen.map((e) => e.seq)).toEqual(stored.map((e) => e.seq));
    } finally {
      await a.close();
    }
  });

  it('reports API errors with their status and code, and an unreachable server as such', async () => {
    const server = await createServer({ store: new MemoryStore(), registry: coreRegistry(), tokens: TEST_TOKENS });
    const url = await server.listen();
    try {
      const viewer = new ServerClient({ url, token: VIEWER_TOKEN });
      const err = await viewer.submit({ workflow: sleepWorkflow(0), inventory: inventoryYaml('c1', 1) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ServerApiError);
      expect(err).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      const missing = await viewer.get('job-nope').catch((e: unknown) => e);
      expect(missing).toMatchObject({ status: 404, code: 'JOB_NOT_FOUND' });
    } finally {
      await server.close();
    }
    await expect(new ServerClient({ url }).list()).rejects.toThrow(/cannot reach the scylla-cp server/);
  });
});
