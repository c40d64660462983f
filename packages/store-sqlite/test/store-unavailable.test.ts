// A database file that vanishes or is read-only makes the engine stop the job with a clear
// error instead of running on unrecorded.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { z } from 'zod';
import { Engine, PluginRegistry, definePlugin, type JobPlan } from '@scylla-cp/core';
import { SqliteStore } from '@scylla-cp/store-sqlite';
import { tempDir } from './helpers.js';
import { startChild } from './children/spawn.js';

const tmp = tempDir('scp-unavailable-');
afterAll(() => tmp.cleanup());

function plan(cluster: string, count: number): JobPlan {
  return {
    formatVersion: 1,
    workflowName: 'unavailable',
    cluster,
    inventory: { name: cluster, nodes: [], connection: {} },
    targeting: {},
    variables: {},
    steps: Array.from({ length: count }, (_, i) => ({
      kind: 'cluster-task' as const,
      id: `s${i}`,
      task: { tag: 'act', params: { name: `s${i}` }, retries: 3, retryBackoff: { initialSeconds: 0, multiplier: 1, maxSeconds: 0 } },
    })),
  };
}

function registry(onExecute: (stepId: string) => void) {
  return new PluginRegistry().register(
    definePlugin({
      name: 'unavailable-test',
      version: '1.0.0',
      clusterTasks: {
        act: {
          description: 'calls the test hook',
          params: z.object({ name: z.string() }).strict(),
          create: () => ({ name: () => 'act', preconditions: () => [], execute: async (ctx) => void onExecute(ctx.stepId) }),
        },
      },
    }),
  );
}

it('a database file deleted mid-job: the engine stops at the next transition with StoreUnavailableError, running nothing more', async () => {
  const db = path.join(tmp.dir, 'vanish.db');
  const store = await SqliteStore.open(db);
  const executed: string[] = [];
  const engine = new Engine({
    store,
    registry: registry((stepId) => {
      executed.push(stepId);
      if (stepId === 's3') for (const suffix of ['', '-wal', '-shm']) fs.rmSync(db + suffix, { force: true });
    }),
  });
  const handle = await engine.start(plan('vanish', 10), { operator: 'alice', workflowText: 'name: unavailable\n' });
  const outcome = await handle.done;
  expect(outcome.state).toBe('interrupted');
  expect(outcome.error?.name).toBe('StoreUnavailableError');
  expect(outcome.error?.message).toContain('deleted or replaced');
  expect(outcome.stepsSucceeded).toBe(3);
  expect(executed).toEqual(['s0', 's1', 's2', 's3']);
  expect(fs.existsSync(db)).toBe(false);
  await store.close();
});

it('a store opened read-only: resuming fails with StoreUnavailableError before any step runs', async () => {
  const db = path.join(tmp.dir, 'ro-open.db');
  const jobId = await pausedJob(db, 'ro-open');
  const store = await SqliteStore.open(db, { readOnly: true });
  const executed: string[] = [];
  const engine = new Engine({ store, registry: registry((id) => executed.push(id)) });
  const err = await engine.resume(jobId).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(err?.name).toBe('StoreUnavailableError');
  expect(err?.message).toContain('read-only');
  expect(executed).toEqual([]);
  expect((await store.getJob(jobId)).state).toBe('paused');
  await store.close();
});

/** Runs a 6-step job until step s2 has run, then pauses it. Returns its id. */
async function pausedJob(db: string, cluster: string): Promise<string> {
  const store = await SqliteStore.open(db);
  let pause = () => {};
  const engine = new Engine({ store, registry: registry((id) => id === 's2' && pause()) });
  const handle = await engine.start(plan(cluster, 6), { operator: 'alice', workflowText: 'name: unavailable\n' });
  pause = () => handle.pause();
  const outcome = await handle.done;
  expect(outcome.state).toBe('paused');
  await store.close();
  return handle.jobId;
}

it('a read-only database file (file permissions): the engine in another process stops with a clear error, recording and running nothing', async () => {
  const dir = path.join(tmp.dir, 'ro-file');
  fs.mkdirSync(dir);
  const db = path.join(dir, 'jobs.db');
  const jobId = await pausedJob(db, 'ro-file');
  const before = fs.readFileSync(db);
  fs.chmodSync(db, 0o444);
  // SQLite needs to create the -wal/-shm files beside a WAL database even to read it.
  fs.chmodSync(dir, 0o777);
  fs.chmodSync(tmp.dir, 0o755);
  // root ignores file permissions: run the child as nobody when the tests run as root.
  const asRoot = process.getuid?.() === 0;
  const child = startChild('readonly-child.ts', [db, jobId], asRoot ? { uid: 65534, gid: 65534 } : {});
  const result = await child.done;
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  const report = JSON.parse(result.stdout.trim()) as { resumed: boolean; name: string; message: string; executed: string[]; stateBefore: string };
  expect(report).toMatchObject({ resumed: false, name: 'StoreUnavailableError', executed: [], stateBefore: 'paused' });
  expect(report.message).toContain('read-only');
  expect(report.message).toContain(db);
  expect(fs.readFileSync(db).equals(before)).toBe(true);
});
