// The failover scenario both multi-replica tests run (replicas built from the server's API, and
// the real `scylla-cp server` command): the workflow, calls to some live replica, a stream of
// jobs per cluster, a killer at seeded moments, and the checks of each job's stored record.
import type { ChildProcess } from 'node:child_process';
import { expect } from 'vitest';
import { nodeStepId, type JobStore, type Prng, type StoredEvent } from '@scylla-cp/core';
import { inventoryYaml, type SimCluster } from '@scylla-cp/sim';
import { waitFor } from './helpers.js';

/** Drain and restart, one node at a time, waiting for the node to be UN again. */
export const FAILOVER_WORKFLOW = `name: Drain and restart, one node at a time
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

/** What the scenario needs of a replica process. */
export interface ScenarioReplica {
  child: ChildProcess;
  pid: number;
  url: string;
  output(): string;
}

/** Nodes of a cluster out of service at once, at most, from the simulator's operation log. */
export function maxNodesDown(cluster: SimCluster): number {
  const down = new Set<string>();
  let max = 0;
  for (const e of cluster.oplog.entries({ actions: ['drain', 'systemctl-stop', 'serving'] })) {
    if (e.action === 'serving') down.delete(e.node);
    else down.add(e.node);
    max = Math.max(max, down.size);
  }
  return max;
}

/** The replicas still running. */
export function aliveReplicas<R extends ScenarioReplica>(replicas: readonly R[]): R[] {
  return replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null);
}

/**
 * Calls the API on a seeded live replica, and on another one if that one dies under the call
 * (up to 20 tries); an HTTP error answer is thrown at once, and so is "every replica exited"
 * (with what they printed).
 */
export function liveReplicaApi(o: { prng: Prng; replicas: readonly ScenarioReplica[]; token: string; seed: number }): (method: string, p: string, body?: unknown) => Promise<any> {
  return async (method, p, body) => {
    for (let tries = 0; ; tries++) {
      const live = aliveReplicas(o.replicas);
      if (live.length === 0) throw new Error(`every replica exited (SEED=${o.seed}):\n${o.replicas.map((x) => `--- pid ${x.pid}\n${x.output().slice(-1500)}`).join('\n')}`);
      const r = live[o.prng.int(0, live.length - 1)]!;
      try {
        const res = await fetch(`${r.url}${p}`, {
          method,
          headers: { authorization: `Bearer ${o.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        });
        const json = (await res.json()) as any;
        if (res.status >= 400) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
        return json;
      } catch (e) {
        const message = (e as Error).message;
        if (tries > 20 || message.startsWith(`${method} ${p}:`) || message.startsWith('every replica exited')) throw e;
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  };
}

/** Per cluster, submits `perCluster` jobs one after the other (the next once the previous ended); each must succeed. */
export async function runJobStreams(
  clusters: readonly SimCluster[],
  perCluster: number,
  api: (method: string, p: string, body?: unknown) => Promise<any>,
): Promise<{ id: string; cluster: string }[]> {
  const jobs: { id: string; cluster: string }[] = [];
  await Promise.all(
    clusters.map(async (c) => {
      const inventory = inventoryYaml(c.inventory());
      for (let j = 0; j < perCluster; j++) {
        const { job } = await api('POST', '/v1/jobs', { workflow: FAILOVER_WORKFLOW, inventory });
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
    }),
  );
  return jobs;
}

/**
 * The killer: until `finished()` or `maxKills` kills, at seeded moments SIGKILL a replica (one
 * running a job when there is one, by its `/healthz`) with `kill`, and `start` a fresh one a
 * little later; never fewer than one replica alive. Resolves with the number of kills.
 */
export async function killAtSeededMoments<R extends ScenarioReplica>(o: {
  prng: Prng;
  replicas: readonly R[];
  maxKills: number;
  finished: () => boolean;
  kill: (victim: R) => Promise<void>;
  start: () => Promise<unknown>;
}): Promise<number> {
  let kills = 0;
  while (!o.finished() && kills < o.maxKills) {
    await new Promise((res) => setTimeout(res, 500 + o.prng.int(0, 1200)));
    if (o.finished()) break;
    const live = aliveReplicas(o.replicas);
    if (live.length < 2) continue;
    const busy: R[] = [];
    for (const r of live) {
      const h = (await fetch(`${r.url}/healthz`).then((x) => x.json()).catch(() => ({ running: [] }))) as { running: string[] };
      if (h.running.length > 0) busy.push(r);
    }
    const pool = busy.length > 0 ? busy : live;
    await o.kill(pool[o.prng.int(0, pool.length - 1)]!);
    kills++;
    await new Promise((res) => setTimeout(res, 200 + o.prng.int(0, 800)));
    if (!o.finished()) await o.start();
  }
  return kills;
}

/**
 * The checks of one job's stored record: it succeeded; every planned step is recorded
 * succeeded; no step started again after it was recorded succeeded; each run (start or resume)
 * holds a newer fencing token than the one before. Returns its events and runs.
 */
export async function checkJobRecord(store: JobStore, id: string, seed: number): Promise<{ events: StoredEvent[]; runs: StoredEvent[] }> {
  const job = await store.getJob(id);
  expect(job.state).toBe('succeeded');
  const planned = job.plan.steps.flatMap((s) =>
    s.kind === 'node-workflow' ? s.batches.flatMap((b) => b.nodes.flatMap((n) => s.tasks.map((_t, i) => nodeStepId(s.id, n, i)))) : [s.id],
  );
  const succeeded = new Set((await store.getSteps(id)).filter((s) => s.state === 'succeeded').map((s) => s.stepId));
  expect(planned.filter((s) => !succeeded.has(s)), `steps of ${id} never recorded succeeded`).toEqual([]);
  const events = await store.listEvents(id);
  const doneAt = new Map<string, number>();
  for (const e of events) {
    if (!e.stepId) continue;
    if (e.type === 'step.succeeded') doneAt.set(e.stepId, e.seq);
    else if ((e.type === 'step.started' || e.type === 'step.attempt') && doneAt.has(e.stepId)) {
      throw new Error(`job ${id}: step ${e.stepId} started again (seq ${e.seq}) after it succeeded (seq ${doneAt.get(e.stepId)}) (SEED=${seed})`);
    }
  }
  const runs = events.filter((e) => e.type === 'job.started' || e.type === 'job.resumed');
  const tokens = runs.map((e) => Number(e.data['token']));
  expect(tokens).toEqual([...tokens].sort((a, b) => a - b));
  expect(new Set(tokens).size).toBe(tokens.length);
  return { events, runs };
}
