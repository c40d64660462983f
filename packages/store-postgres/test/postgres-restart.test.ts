// PostgreSQL restarts in the middle of a job (a clean fast shutdown, then a crash-like
// immediate one): the job holds, the store reconnects, the engine continues, and nothing is
// lost or done twice: every step ran exactly once and is recorded exactly once.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Engine, PluginRegistry, type JobPlan } from '@scylla-cp/core';
import { effectPlugin, tempDir } from '@scylla-cp/store-sql/test-support';
import { PostgresStore } from '@scylla-cp/store-postgres';
import { usePostgresServer } from './pg-fixture.js';

const pg = usePostgresServer();
const tmp = tempDir('scp-pg-restart-');
afterAll(() => tmp.cleanup());

const STEPS = 24;

function plan(): JobPlan {
  return {
    formatVersion: 1,
    workflowName: 'restart',
    cluster: 'restart-cluster',
    inventory: { name: 'restart-cluster', nodes: [], connection: {} },
    targeting: {},
    variables: {},
    steps: Array.from({ length: STEPS }, (_, i) => ({
      kind: 'cluster-task' as const,
      id: `s${i}`,
      task: { tag: 'effect', params: { ms: 120 }, retries: 0, retryBackoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 1 } },
    })),
  };
}

function effectsOf(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => l.split(' ')[0]!) : [];
}

async function until(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

it('a job survives two PostgreSQL restarts mid-step: it reconnects and continues, every step once', async () => {
  const effects = path.join(tmp.dir, 'effects');
  const store = await PostgresStore.open({ connectionString: pg.server.connectionString(), schema: 'restart', reconnectTimeoutMs: 60_000 });
  try {
    const engine = new Engine({ store, registry: new PluginRegistry().register(effectPlugin(effects)), leaseTtlSeconds: 60, heartbeatSeconds: 1 });
    const handle = await engine.start(plan(), { operator: 'alice', workflowText: 'name: restart\n', jobId: 'job-r' });

    // Restart while step 5 runs (its 'started' was committed; its 'succeeded' commit will meet a dead server).
    await until('step s5 to start', () => effectsOf(effects).includes('s5'));
    await pg.server.restart('fast', 300);
    const afterFirst = effectsOf(effects).length;
    // Crash-like restart while a later step runs.
    await until('two more steps', () => effectsOf(effects).length >= afterFirst + 2);
    await pg.server.restart('immediate', 300);

    const outcome = await handle.done;
    expect(outcome).toMatchObject({ state: 'succeeded', stepsSucceeded: STEPS });

    const ran = effectsOf(effects);
    expect(ran).toEqual(Array.from({ length: STEPS }, (_, i) => `s${i}`)); // each step once, in order
    const steps = await store.getSteps('job-r');
    expect(steps).toHaveLength(STEPS);
    expect(steps.filter((s) => s.state !== 'succeeded' || s.attempts !== 1)).toEqual([]);
    const events = await store.listEvents('job-r');
    for (const type of ['step.started', 'step.succeeded']) {
      expect(events.filter((e) => e.type === type).map((e) => e.stepId), type).toEqual(Array.from({ length: STEPS }, (_, i) => `s${i}`));
    }
    expect(events.filter((e) => e.type.startsWith('job.')).map((e) => e.type)).toEqual(['job.started', 'job.succeeded']);
    expect((await store.getJob('job-r')).fencingToken).toBe(1);
  } finally {
    await store.close();
  }
});
