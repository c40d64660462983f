import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeStepId, Prng, type JobStore } from '@scylla-cp/core';
import { inventoryYaml, SimCluster } from '@scylla-cp/sim';
import { PostgresStore } from '@scylla-cp/store-postgres';
import { PostgresServer } from '@scylla-cp/store-postgres/test-support';
import { waitFor } from './helpers.js';
import { bundleCli, killCliReplica, overlappingOperators, runCli, startCliReplica, type CliReplica, type JobLog } from './cli-replica-harness.js';

// Item 3 of issue 17, through the real command: three `scylla-cp --db postgres://... server start`
// processes (the CLI's bin, bundled from the sources) on one PostgreSQL; a stream of jobs on
// three simulated clusters submitted over the API; replicas SIGKILLed at seeded moments (a busy
// one whenever possible). Every job completes, no step runs again after it was recorded
// succeeded, each run holds a newer fencing token, no cluster is operated by two live runners at
// once (from the store's record and the kill times), never two nodes of a cluster down at once
// (from the simulator's own log). multi-replica-failover.test.ts runs the same stream on replicas
// built from the server's API with a runner-side witness.

const SEED = Number(process.env.SEED ?? Math.floor(Date.now() % 1_000_000));
console.log(`cli replica failover: SEED=${SEED}`);

const WORKFLOW = `name: Drain and restart, one node at a time
cluster_tasks:
  - task: !node-workflow
      name: Drain and restart each node
      concurrency_unit: node
      concurrency_limit: 1
      node_tasks:
        - task: !scylla-drain
        - task: !systemd-stop-scylla-server
        - task: !systemd-start-service
            service: scylla-server
        - task: !wait-for-conditions
            conditions:
              - condition: !node-up-normal
                poll_interval_seconds: 0.05
                timeout_seconds: 60
`;

const CLUSTERS = 3;
const JOBS_PER_CLUSTER = 3;
const REPLICAS = 3;
const LEASE_TTL_SECONDS = 3;
const MAX_KILLS = 4;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scp-cli-ha-'));
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Nodes of a cluster out of service at once, at most, from the simulator's operation log. */
function maxNodesDown(cluster: SimCluster): number {
  const down = new Set<string>();
  let max = 0;
  for (const e of cluster.oplog.entries({ actions: ['drain', 'systemctl-stop', 'serving'] })) {
    if (e.action === 'serving') down.delete(e.node);
    else down.add(e.node);
    max = Math.max(max, down.size);
  }
  return max;
}

describe('scylla-cp server replicas (the real command) on PostgreSQL', () => {
  it('complete every job across seeded SIGKILLs: nothing run again after it succeeded, fenced takeovers, one runner per cluster', async () => {
    const prng = new Prng(SEED);
    const pg = await PostgresServer.start();
    cleanups.push(() => pg.destroy());
    const db = pg.connectionString();
    const bundle = await bundleCli();
    cleanups.push(() => fs.rmSync(bundle, { force: true }));
    const env = { SCYLLA_CP_HOME: path.join(dir, 'home'), SCYLLA_CP_OPERATOR: 'tester', CI: 'true' };

    // A token through the command itself (stored hashed in the tokens file).
    const tokensFile = path.join(dir, 'tokens.json');
    const tokenRun = await runCli(bundle, ['server', 'token', '--name', 'tester', '--role', 'operator', '--tokens', tokensFile], env);
    expect(tokenRun, tokenRun.stderr).toMatchObject({ code: 0 });
    const token = tokenRun.stdout.trim();

    const clusters: SimCluster[] = [];
    for (let i = 0; i < CLUSTERS; i++) {
      const c = new SimCluster({ name: `cli-ha-c${i + 1}`, seed: SEED + i, nodesPerZone: 1, timeScale: 0.05 });
      await c.start();
      clusters.push(c);
      cleanups.push(() => c.stop());
    }

    const replicas: CliReplica[] = [];
    const start = async () => {
      const r = await startCliReplica({ bundle, db, tokensFile, leaseTtlSeconds: LEASE_TTL_SECONDS, env });
      replicas.push(r);
      return r;
    };
    cleanups.push(async () => {
      for (const r of replicas) r.child.kill('SIGKILL');
      await Promise.all(replicas.map((r) => r.exited));
    });
    for (let i = 0; i < REPLICAS; i++) await start();
    const alive = () => replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null);

    /** Calls the API on some live replica (another one if that one dies under the call). */
    const api = async (method: string, p: string, body?: unknown): Promise<any> => {
      for (let tries = 0; ; tries++) {
        const live = alive();
        if (live.length === 0) throw new Error(`every replica exited (SEED=${SEED}):\n${replicas.map((x) => `--- pid ${x.pid}\n${x.output().slice(-1500)}`).join('\n')}`);
        const r = live[prng.int(0, live.length - 1)]!;
        try {
          const res = await fetch(`${r.url}${p}`, {
            method,
            headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
            body: body ? JSON.stringify(body) : undefined,
          });
          const json = (await res.json()) as any;
          if (res.status >= 400) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
          return json;
        } catch (e) {
          if (tries > 20 || (e as Error).message.startsWith(`${method} ${p}:`) || (e as Error).message.startsWith('every replica exited')) throw e;
          await new Promise((res) => setTimeout(res, 100));
        }
      }
    };

    const jobs: { id: string; cluster: string }[] = [];
    let finished = false;
    const streams = clusters.map(async (c) => {
      const inventory = inventoryYaml(c.inventory());
      for (let j = 0; j < JOBS_PER_CLUSTER; j++) {
        const { job } = await api('POST', '/v1/jobs', { workflow: WORKFLOW, inventory });
        jobs.push({ id: job.id, cluster: c.inventory().name });
        const state = await waitFor(
          `job ${job.id} on ${c.inventory().name} to end`,
          async () => {
            const s = (await api('GET', `/v1/jobs/${job.id}`)).job.state as string;
            return s === 'succeeded' || s === 'failed' || s === 'cancelled' ? s : undefined;
          },
          120_000,
        );
        expect(state, `job ${job.id} on ${c.inventory().name}`).toBe('succeeded');
      }
    });

    // The killer: at seeded moments, SIGKILL a replica (one running a job when there is one)
    // and start a fresh one a little later; never fewer than one replica alive.
    const killedAt = new Map<string, number>();
    const killer = (async () => {
      while (!finished && killedAt.size < MAX_KILLS) {
        await new Promise((res) => setTimeout(res, 500 + prng.int(0, 1200)));
        if (finished) break;
        const live = alive();
        if (live.length < 2) continue;
        const busy: CliReplica[] = [];
        for (const r of live) {
          const h = (await fetch(`${r.url}/healthz`).then((x) => x.json()).catch(() => ({ running: [] }))) as { running: string[] };
          if (h.running.length > 0) busy.push(r);
        }
        const pool = busy.length > 0 ? busy : live;
        const victim = pool[prng.int(0, pool.length - 1)]!;
        killedAt.set(victim.holder, await killCliReplica(victim));
        await new Promise((res) => setTimeout(res, 200 + prng.int(0, 800)));
        if (!finished) await start();
      }
    })();

    try {
      await Promise.all(streams);
    } finally {
      finished = true;
      await killer;
    }

    const store: JobStore = await PostgresStore.open({ connectionString: db });
    cleanups.push(() => store.close());
    expect(jobs).toHaveLength(CLUSTERS * JOBS_PER_CLUSTER);
    const holders = new Set(replicas.map((r) => r.holder));
    let takeovers = 0;
    const logs: JobLog[] = [];
    for (const { id, cluster } of jobs) {
      const job = await store.getJob(id);
      expect(job.state).toBe('succeeded');
      const planned = job.plan.steps.flatMap((s) =>
        s.kind === 'node-workflow' ? s.batches.flatMap((b) => b.nodes.flatMap((n) => s.tasks.map((_t, i) => nodeStepId(s.id, n, i)))) : [s.id],
      );
      const succeeded = new Set((await store.getSteps(id)).filter((s) => s.state === 'succeeded').map((s) => s.stepId));
      expect(planned.filter((s) => !succeeded.has(s)), `steps of ${id} never recorded succeeded`).toEqual([]);
      const events = await store.listEvents(id);
      logs.push({ jobId: id, cluster, events });
      // Nothing started again after it was recorded succeeded.
      const doneAt = new Map<string, number>();
      for (const e of events) {
        if (!e.stepId) continue;
        if (e.type === 'step.succeeded') doneAt.set(e.stepId, e.seq);
        else if ((e.type === 'step.started' || e.type === 'step.attempt') && doneAt.has(e.stepId)) {
          throw new Error(`job ${id}: step ${e.stepId} started again (seq ${e.seq}) after it succeeded (seq ${doneAt.get(e.stepId)}) (SEED=${SEED})`);
        }
      }
      const runs = events.filter((e) => e.type === 'job.started' || e.type === 'job.resumed');
      // Every run was one of the command's replicas.
      for (const r of runs) expect(holders.has(String(r.data['holder'])), `run by ${String(r.data['holder'])}`).toBe(true);
      takeovers += new Set(runs.map((e) => e.data['holder'])).size - 1;
      // Fencing: each run holds a newer token than the one before.
      const tokens = runs.map((e) => Number(e.data['token']));
      expect(tokens).toEqual([...tokens].sort((a, b) => a - b));
      expect(new Set(tokens).size).toBe(tokens.length);
    }
    // No cluster was ever operated by two live runners at once.
    expect(overlappingOperators(logs, killedAt), `SEED=${SEED}`).toEqual([]);
    for (const c of clusters) expect(maxNodesDown(c), `nodes of ${c.inventory().name} down at once (SEED=${SEED})`).toBeLessThanOrEqual(1);
    expect(killedAt.size).toBeGreaterThanOrEqual(2);
    expect(takeovers).toBeGreaterThanOrEqual(1);
    console.log(`cli replica failover: SEED=${SEED} jobs=${jobs.length} kills=${killedAt.size} takeovers=${takeovers}`);
  }, 300_000);
});

describe('the store-record check of one runner per cluster', () => {
  const ev = (seq: number, at: number, type: string, stepId?: string, data: Record<string, unknown> = {}) => ({ seq, jobId: 'j', at, type, data, ...(stepId ? { stepId } : {}) });
  it('flags two holders with attempts open on one cluster at once, not a dead runner\'s step taken over after its kill', () => {
    const overlapping: JobLog = {
      jobId: 'j',
      cluster: 'c',
      events: [ev(1, 0, 'job.started', undefined, { holder: 'a' }), ev(2, 10, 'step.started', 's1'), ev(3, 20, 'job.resumed', undefined, { holder: 'b' }), ev(4, 30, 'step.started', 's1')],
    };
    // a never died: its open step s1 overlaps b's.
    expect(overlappingOperators([overlapping], new Map())).toHaveLength(1);
    // a died at 15, before b's run: no overlap.
    expect(overlappingOperators([overlapping], new Map([['a', 15]]))).toEqual([]);
    // a died at 35, after b began s1: overlap.
    expect(overlappingOperators([overlapping], new Map([['a', 35]]))).toHaveLength(1);
    // Two jobs on other clusters never conflict.
    const other: JobLog = { jobId: 'k', cluster: 'd', events: [ev(1, 0, 'job.started', undefined, { holder: 'b' }), ev(2, 12, 'step.started', 's1')] };
    expect(overlappingOperators([{ ...overlapping, events: overlapping.events.slice(0, 2) }, other], new Map())).toEqual([]);
  });
});
