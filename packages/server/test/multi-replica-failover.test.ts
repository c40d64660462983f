import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeStepId, Prng, type JobStore } from '@scylla-cp/core';
import { inventoryYaml, SimCluster } from '@scylla-cp/sim';
import { PostgresStore } from '@scylla-cp/store-postgres';
import { PostgresServer } from '@scylla-cp/store-postgres/test-support';
import { OPERATOR_TOKEN, TEST_TOKENS, waitFor } from './helpers.js';
import { bundleReplica, concurrentOperators, killReplica, readWitness, startReplica, witnessKill, type Replica } from './replica-harness.js';

// Item 3 of issue 17: any number of replicas on one PostgreSQL database; each job is run by the replica
// holding its lease; a SIGKILLed replica's job is taken over once its lease expires and resumed
// under a new fencing token. Three replicas, a stream of jobs on three simulated clusters,
// replicas SIGKILLed at seeded moments (a busy one whenever possible).

const SEED = Number(process.env.SEED ?? Math.floor(Date.now() % 1_000_000));
console.log(`multi-replica failover: SEED=${SEED}`);

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
const JOBS_PER_CLUSTER = 4;
const REPLICAS = 3;
const LEASE_TTL_SECONDS = 3;
const MAX_KILLS = 5;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scp-server-ha-'));
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

describe('server replicas sharing jobs through leases', () => {
  it('completes every job across SIGKILLs, never runs a step again after it succeeded, never lets two runners operate a cluster', async () => {
    const prng = new Prng(SEED);
    // One PostgreSQL (Debian's, in a temporary directory on 127.0.0.1) shared by every replica.
    const pg = await PostgresServer.start();
    cleanups.push(() => pg.destroy());
    const connectionString = pg.connectionString();
    const storeSpec = `postgres:${connectionString}`;
    const witness = path.join(dir, 'witness.jsonl');
    const bundle = await bundleReplica();
    cleanups.push(() => fs.rmSync(bundle, { force: true }));

    const clusters: SimCluster[] = [];
    for (let i = 0; i < CLUSTERS; i++) {
      const c = new SimCluster({ name: `ha-c${i + 1}`, seed: SEED + i, nodesPerZone: 1, timeScale: 0.05 });
      await c.start();
      clusters.push(c);
      cleanups.push(() => c.stop());
    }

    const replicas: Replica[] = [];
    const start = async () => {
      const r = await startReplica({ bundle, store: storeSpec, witnessFile: witness, leaseTtlSeconds: LEASE_TTL_SECONDS, tokens: TEST_TOKENS });
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
        const r = live[prng.int(0, live.length - 1)]!;
        try {
          const res = await fetch(`${r.url}${p}`, {
            method,
            headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
            body: body ? JSON.stringify(body) : undefined,
          });
          const json = (await res.json()) as any;
          if (res.status >= 400) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
          return json;
        } catch (e) {
          if (tries > 20 || (e as Error).message.startsWith(`${method} ${p}:`)) throw e;
          await new Promise((res) => setTimeout(res, 100));
        }
      }
    };

    // The job stream: per cluster, the next job once the previous one ended.
    const jobIds: string[] = [];
    let finished = false;
    const streams = clusters.map(async (c) => {
      const inventory = inventoryYaml(c.inventory());
      for (let j = 0; j < JOBS_PER_CLUSTER; j++) {
        const { job } = await api('POST', '/v1/jobs', { workflow: WORKFLOW, inventory });
        jobIds.push(job.id);
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
    let kills = 0;
    const killer = (async () => {
      while (!finished && kills < MAX_KILLS) {
        await new Promise((res) => setTimeout(res, 500 + prng.int(0, 1200)));
        if (finished) break;
        const live = alive();
        if (live.length < 2) continue;
        const busy: Replica[] = [];
        for (const r of live) {
          const h = (await fetch(`${r.url}/healthz`).then((x) => x.json()).catch(() => ({ running: [] }))) as { running: string[] };
          if (h.running.length > 0) busy.push(r);
        }
        const pool = busy.length > 0 ? busy : live;
        const victim = pool[prng.int(0, pool.length - 1)]!;
        await killReplica(victim);
        witnessKill(witness, victim.pid);
        kills++;
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

    // Every job completed; every planned step is recorded succeeded.
    const store: JobStore = await PostgresStore.open({ connectionString });
    cleanups.push(() => store.close());
    expect(jobIds).toHaveLength(CLUSTERS * JOBS_PER_CLUSTER);
    let takeovers = 0;
    for (const id of jobIds) {
      const job = await store.getJob(id);
      expect(job.state).toBe('succeeded');
      const planned = job.plan.steps.flatMap((s) =>
        s.kind === 'node-workflow' ? s.batches.flatMap((b) => b.nodes.flatMap((n) => s.tasks.map((_t, i) => nodeStepId(s.id, n, i)))) : [s.id],
      );
      const steps = await store.getSteps(id);
      const succeeded = new Set(steps.filter((s) => s.state === 'succeeded').map((s) => s.stepId));
      expect(planned.filter((s) => !succeeded.has(s)), `steps of ${id} never recorded succeeded`).toEqual([]);
      // Nothing ran again after it was recorded succeeded.
      const events = await store.listEvents(id);
      const doneAt = new Map<string, number>();
      for (const e of events) {
        if (!e.stepId) continue;
        if (e.type === 'step.succeeded') doneAt.set(e.stepId, e.seq);
        else if ((e.type === 'step.started' || e.type === 'step.attempt') && doneAt.has(e.stepId)) {
          throw new Error(`job ${id}: step ${e.stepId} started again (seq ${e.seq}) after it succeeded (seq ${doneAt.get(e.stepId)})`);
        }
      }
      const runs = events.filter((e) => e.type === 'job.started' || e.type === 'job.resumed');
      takeovers += new Set(runs.map((e) => e.data['holder'])).size - 1;
      // Fencing: each run holds a newer token than the one before.
      const tokens = runs.map((e) => Number(e.data['token']));
      expect(tokens).toEqual([...tokens].sort((a, b) => a - b));
      expect(new Set(tokens).size).toBe(tokens.length);
    }
    const lines = readWitness(witness);
    // Nothing began again after the witness saw it succeed (the runners' own view).
    const succeededSteps = new Set<string>();
    for (const l of lines) {
      const key = `${l.jobId}/${l.stepId}`;
      if (l.kind === 'end' && l.outcome === 'succeeded') succeededSteps.add(key);
      if (l.kind === 'begin') expect(succeededSteps.has(key), `${key} began again after it succeeded`).toBe(false);
    }
    // No cluster was ever operated by two live runners at once.
    expect(concurrentOperators(lines)).toEqual([]);
    // And physically: with one node at a time, never two nodes of a cluster out of service.
    for (const c of clusters) expect(maxNodesDown(c), `nodes of ${c.inventory().name} down at once`).toBeLessThanOrEqual(1);
    // The test exercised what it claims: replicas died and their jobs were taken over.
    expect(kills).toBeGreaterThanOrEqual(2);
    expect(takeovers).toBeGreaterThanOrEqual(1);
    console.log(`multi-replica failover: SEED=${SEED} jobs=${jobIds.length} kills=${kills} takeovers=${takeovers}`);
  }, 300_000);
});

describe('the witness check itself', () => {
  it('flags a runner that begins on a cluster while another live runner has an attempt open there, not once that runner is dead', () => {
    const base = { t: 0, jobId: 'j', cluster: 'c' };
    expect(
      concurrentOperators([
        { ...base, pid: 1, kind: 'begin', stepId: 'a' },
        { ...base, pid: 2, kind: 'begin', stepId: 'a' },
      ]),
    ).toHaveLength(1);
    expect(
      concurrentOperators([
        { ...base, pid: 1, kind: 'begin', stepId: 'a' },
        { ...base, pid: 1, kind: 'killed' },
        { ...base, pid: 2, kind: 'begin', stepId: 'a' },
        { ...base, pid: 2, kind: 'end', stepId: 'a', outcome: 'succeeded' },
        { ...base, pid: 3, kind: 'begin', stepId: 'b' },
      ]),
    ).toEqual([]);
  });
});
