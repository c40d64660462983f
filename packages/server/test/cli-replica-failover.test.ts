import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Prng, type JobStore } from '@scylla-cp/core';
import { SimCluster } from '@scylla-cp/sim';
import { PostgresStore } from '@scylla-cp/store-postgres';
import { PostgresServer } from '@scylla-cp/store-postgres/test-support';
import { checkJobRecord, killAtSeededMoments, liveReplicaApi, maxNodesDown, runJobStreams } from './failover-scenario.js';
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
    const api = liveReplicaApi({ prng, replicas, token, seed: SEED });

    let finished = false;
    const streams = runJobStreams(clusters, JOBS_PER_CLUSTER, api);
    const killedAt = new Map<string, number>();
    const killer = killAtSeededMoments({
      prng,
      replicas,
      maxKills: MAX_KILLS,
      finished: () => finished,
      kill: async (victim) => void killedAt.set(victim.holder, await killCliReplica(victim)),
      start,
    });
    let jobs: { id: string; cluster: string }[];
    try {
      jobs = await streams;
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
      const { events, runs } = await checkJobRecord(store, id, SEED);
      logs.push({ jobId: id, cluster, events });
      // Every run was one of the command's replicas.
      for (const r of runs) expect(holders.has(String(r.data['holder'])), `run by ${String(r.data['holder'])}`).toBe(true);
      takeovers += new Set(runs.map((e) => e.data['holder'])).size - 1;
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
