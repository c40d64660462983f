import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Prng, type JobStore } from '@scylla-cp/core';
import { SimCluster } from '@scylla-cp/sim';
import { PostgresStore } from '@scylla-cp/store-postgres';
import { PostgresServer } from '@scylla-cp/store-postgres/test-support';
import { OPERATOR_TOKEN, TEST_TOKENS } from './helpers.js';
import { checkJobRecord, killAtSeededMoments, liveReplicaApi, maxNodesDown, runJobStreams } from './failover-scenario.js';
import { bundleReplica, concurrentOperators, killReplica, readWitness, startReplica, witnessKill, type Replica } from './replica-harness.js';

// Item 3 of issue 17: any number of replicas on one PostgreSQL database; each job is run by the replica
// holding its lease; a SIGKILLed replica's job is taken over once its lease expires and resumed
// under a new fencing token. Three replicas, a stream of jobs on three simulated clusters,
// replicas SIGKILLed at seeded moments (a busy one whenever possible).

const SEED = Number(process.env.SEED ?? Math.floor(Date.now() % 1_000_000));
console.log(`multi-replica failover: SEED=${SEED}`);


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
    const api = liveReplicaApi({ prng, replicas, token: OPERATOR_TOKEN, seed: SEED });

    // The job stream (per cluster, the next job once the previous one ended) and the killer
    // (at seeded moments, SIGKILL a replica, a busy one when there is one, and start another).
    let finished = false;
    const streams = runJobStreams(clusters, JOBS_PER_CLUSTER, api);
    const killer = killAtSeededMoments({
      prng,
      replicas,
      maxKills: MAX_KILLS,
      finished: () => finished,
      kill: async (victim) => {
        await killReplica(victim);
        witnessKill(witness, victim.pid);
      },
      start,
    });
    let jobIds: string[];
    let kills: number;
    try {
      jobIds = (await streams).map((j) => j.id);
    } finally {
      finished = true;
      kills = await killer;
    }

    // Every job completed; every planned step is recorded succeeded.
    const store: JobStore = await PostgresStore.open({ connectionString });
    cleanups.push(() => store.close());
    expect(jobIds).toHaveLength(CLUSTERS * JOBS_PER_CLUSTER);
    let takeovers = 0;
    for (const id of jobIds) {
      const { runs } = await checkJobRecord(store, id, SEED);
      takeovers += new Set(runs.map((e) => e.data['holder'])).size - 1;
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
