// Benchmark: how long a job stands still when the server replica running it dies.
//
// Two `scylla-cp --db postgres://... server start` replicas (the real command: the CLI's bin
// bundled from the sources, separate processes) share one PostgreSQL (Debian's, started in a
// temporary directory on 127.0.0.1). A job of short steps (`!sleep 0.2` on each of 40 nodes, one
// at a time) runs on one replica; after a seeded delay that replica is SIGKILLed and we measure
// the time from the kill to the job's next step start recorded by the other replica (the
// `step.started`/`step.attempt` event after its `job.resumed`, read from the job store; the
// event's time is the replica's wall clock, on this machine). The lease TTL is the bound by
// design: the dead runner's lease must expire before anyone may take the job over.
// Baseline, same run, same replicas: a graceful stop (SIGTERM) of the running replica, which
// hands the job back at once; its latency is what remains of failover without a lease wait.
// Last line: {"bench":"server-failover", "results":[{ttl_s, trials, median_ms, max_ms,
// target_ms, ratio_max_to_target}], "graceful_median_ms", ...}. Target: max_ms <= TTL + 1 s.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Prng } from '@scylla-cp/core';
import { PostgresStore } from '@scylla-cp/store-postgres';
import { PostgresServer } from '@scylla-cp/store-postgres/test-support';
import { bundleCli, killCliReplica, runCli, startCliReplica, type CliReplica } from '../packages/server/test/cli-replica-harness.js';

const TTLS_S = (process.env.BENCH_TTLS ?? '2,5').split(',').map(Number);
const TRIALS = Number(process.env.BENCH_TRIALS ?? 3);
const SEED = Number(process.env.SEED ?? 17);

const WORKFLOW = `name: many short steps
cluster_tasks:
  - task: !node-workflow
      name: sleep on each node
      concurrency_unit: node
      node_tasks:
        - task: !sleep
            seconds: 0.2
`;
const inventory = (cluster: string) =>
  `name: ${cluster}\nnodes:\n${Array.from({ length: 40 }, (_, i) => `  - id: n${i + 1}\n    address: 10.0.0.${i + 1}\n    dc: dc1\n    rack: r1\n`).join('')}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

async function main(): Promise<void> {
  console.error(`server-failover: SEED=${SEED}`);
  const prng = new Prng(SEED);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scp-bench-failover-'));
  const pg = await PostgresServer.start();
  const bundle = await bundleCli();
  const env = { SCYLLA_CP_HOME: path.join(dir, 'home'), SCYLLA_CP_OPERATOR: 'bench', CI: 'true' };
  const tokensFile = path.join(dir, 'tokens.json');
  const replicas: CliReplica[] = [];
  let store: PostgresStore | undefined;
  let trialNo = 0;
  try {
    const made = await runCli(bundle, ['server', 'token', '--name', 'bench', '--role', 'operator', '--tokens', tokensFile], env);
    if (made.code !== 0) throw new Error(`scylla-cp server token: ${made.stderr}`);
    const TOKEN = made.stdout.trim();
    const results: { ttl_s: number; trials: number; latencies_ms: number[]; median_ms: number; max_ms: number; target_ms: number; ratio_max_to_target: number }[] = [];
    const graceful: number[] = [];
    for (const ttl of TTLS_S) {
      const start = async () => {
        const r = await startCliReplica({ bundle, db: pg.connectionString(), tokensFile, leaseTtlSeconds: ttl, env });
        replicas.push(r);
        return r;
      };
      const live = () => replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null);
      while (live().length < 2) await start();
      const latencies: number[] = [];
      for (let i = 0; i < TRIALS + 1; i++) {
        const isGraceful = i === TRIALS; // the last trial of each TTL: the graceful baseline
        const cluster = `bench-${++trialNo}`;
        const entry = live()[0]!;
        const res = await fetch(`${entry.url}/v1/jobs`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ workflow: WORKFLOW, inventory: inventory(cluster) }),
        });
        if (res.status !== 201) throw new Error(`submit: ${res.status} ${await res.text()}`);
        const jobId = ((await res.json()) as { job: { id: string } }).job.id;
        // Which replica runs it?
        let runner: CliReplica | undefined;
        for (let w = 0; w < 200 && !runner; w++) {
          for (const r of live()) {
            const h = (await (await fetch(`${r.url}/healthz`)).json()) as { running: string[] };
            if (h.running.includes(jobId)) runner = r;
          }
          if (!runner) await sleep(25);
        }
        if (!runner) throw new Error(`no replica picked up job ${jobId}`);
        await sleep(300 + prng.int(0, 700));
        const tKill = Date.now();
        if (isGraceful) {
          runner.child.kill('SIGTERM');
          await runner.exited;
        } else {
          await killCliReplica(runner);
        }
        store ??= await PostgresStore.open({ connectionString: pg.connectionString() });
        const nextAt = await (async () => {
          for (let w = 0; w < 1000; w++) {
            // The first step start recorded by another runner (after its job.resumed).
            let other = false;
            for (const e of await store!.listEvents(jobId)) {
              if (e.type === 'job.started' || e.type === 'job.resumed') other = e.data['holder'] !== runner!.holder;
              else if (other && (e.type === 'step.started' || e.type === 'step.attempt')) return e.at;
            }
            await sleep(20);
          }
          throw new Error(`job ${jobId} did not continue within 20 s after its replica died`);
        })();
        const ms = nextAt - tKill;
        if (isGraceful) graceful.push(ms);
        else latencies.push(ms);
        console.error(`ttl=${ttl}s ${isGraceful ? 'graceful' : 'SIGKILL'}: next step after ${ms.toFixed(0)} ms`);
        // Finish the job quickly and bring the replica count back to two.
        const other = live()[0]!;
        await fetch(`${other.url}/v1/jobs/${jobId}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
        while (live().length < 2) await start();
      }
      const max = Math.max(...latencies);
      const target = ttl * 1000 + 1000;
      results.push({ ttl_s: ttl, trials: latencies.length, latencies_ms: latencies.map((x) => Math.round(x)), median_ms: Math.round(median(latencies)), max_ms: Math.round(max), target_ms: target, ratio_max_to_target: Number((max / target).toFixed(3)) });
      for (const r of live()) {
        r.child.kill('SIGTERM');
        await r.exited;
      }
    }
    for (const r of results) console.error(`ttl ${r.ttl_s}s: median ${r.median_ms} ms, max ${r.max_ms} ms, target <= ${r.target_ms} ms (${r.max_ms <= r.target_ms ? 'met' : 'MISSED'})`);
    console.log(
      JSON.stringify({
        bench: 'server-failover',
        seed: SEED,
        results,
        graceful_median_ms: Math.round(median(graceful)),
        target_met: results.every((r) => r.max_ms <= r.target_ms),
      }),
    );
  } finally {
    for (const r of replicas) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    await store?.close();
    await pg.destroy();
    fs.rmSync(bundle, { force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
