// Benchmark: durable step overhead on one PostgreSQL, ours vs DBOS Transact.
//
// One PostgreSQL server (started here, initdb/pg_ctl in a temp dir on 127.0.0.1, PostgreSQL's
// default durability: fsync=on, synchronous_commit=on, for both sides), in the same process:
// - ours: the Engine with a PostgresStore running a job of STEPS no-op steps (a node workflow,
//   one node at a time, TASKS no-op tasks per node, as a rolling operation runs). Each step is
//   recorded `running` before the task runs and `succeeded` after it; between two steps of a node
//   the success and the next start are one commit (issue 17), so a node of TASKS steps makes
//   TASKS + 1 durable commits, plus a control-request read before each step.
// - DBOS: @dbos-inc/dbos-sdk, one workflow that runs STEPS no-op steps (DBOS.runStep), each
//   checkpointed after it ran: one durable commit.
// Paired rounds: each round runs both sides back to back (alternating which goes first), because
// fsync latency and CPU on a shared machine drift several-fold from one minute to the next; the
// ratio is the median of the per-round ratios, the rates are medians.
// Last line: {"bench":"pg-vs-dbos","ours_steps_s","dbos_steps_s","ratio",...}; ratio =
// ours steps/s over DBOS steps/s in the same round. Target: ratio >= 1.0.
import { DBOS } from '@dbos-inc/dbos-sdk';
import { Engine, PluginRegistry, type JobPlan } from '@scylla-cp/core';
import { PostgresStore } from '@scylla-cp/store-postgres';
import { PostgresServer } from '@scylla-cp/store-postgres/test-support';
import { median, noopPlan, noopPlugin } from './_noop-job.js';

const NODES = Number(process.env.BENCH_NODES ?? 20);
const TASKS = 10;
const STEPS = NODES * TASKS;
const ROUNDS = Number(process.env.ROUNDS ?? 9);
/** `BENCH_FSYNC=off` runs both sides on a server without fsync: a diagnostic of the CPU and round-trip cost alone, not the target. */
const FSYNC = process.env.BENCH_FSYNC === 'off' ? 'off' : 'on';

const plugin = noopPlugin();
const plan = (cluster: string): JobPlan => noopPlan(cluster, NODES, TASKS);

async function oursRound(store: PostgresStore, r: number): Promise<number> {
  const engine = new Engine({ store, registry: new PluginRegistry().register(plugin), seed: r + 1 });
  const t0 = performance.now();
  const handle = await engine.start(plan(`bench-${r}`), { operator: 'bench', workflowText: 'name: noop\n' });
  const outcome = await handle.done;
  const ms = performance.now() - t0;
  if (outcome.state !== 'succeeded' || outcome.stepsSucceeded !== STEPS) throw new Error(`engine run failed: ${JSON.stringify(outcome)}`);
  const recorded = await store.getSteps(handle.jobId);
  if (recorded.length !== STEPS || recorded.some((s) => s.state !== 'succeeded')) throw new Error('engine run did not record every step');
  return ms;
}

let dbosStepsRun = 0;
const noopSteps = DBOS.registerWorkflow(
  async (n: number): Promise<number> => {
    for (let i = 0; i < n; i++) {
      await DBOS.runStep(
        async () => {
          dbosStepsRun++;
          return undefined;
        },
        { name: `noop-${i % TASKS}` },
      );
    }
    return n;
  },
  { name: 'noopSteps' },
);

async function dbosRound(): Promise<number> {
  const before = dbosStepsRun;
  const t0 = performance.now();
  const handle = await DBOS.startWorkflow(noopSteps)(STEPS);
  const n = await handle.getResult();
  const ms = performance.now() - t0;
  if (n !== STEPS || dbosStepsRun - before !== STEPS) throw new Error(`DBOS workflow ran ${dbosStepsRun - before} steps, not ${STEPS}`);
  return ms;
}

async function main(): Promise<void> {
  const server = await PostgresServer.start({ tmpPrefix: 'scp-bench-pg-', settings: FSYNC === 'off' ? { fsync: 'off', synchronous_commit: 'off' } : {} });
  try {
    const settings = await server.psql('postgres', "SELECT current_setting('fsync') || ' ' || current_setting('synchronous_commit')");
    if (settings !== `${FSYNC} ${FSYNC}`) throw new Error(`expected fsync=${FSYNC} synchronous_commit=${FSYNC}, got ${settings}`);
    await server.createDatabase('scylla');
    const store = await PostgresStore.open({ connectionString: server.connectionString('scylla') });
    DBOS.setConfig({ name: 'scp-bench', systemDatabaseUrl: server.connectionString('dbos_sys'), logLevel: 'error' });
    await DBOS.launch();
    try {
      // Warm-up: connections, prepared plans, JIT.
      await oursRound(store, 1000);
      await dbosRound();
      const ours: number[] = [];
      const dbos: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const first = r % 2 === 0;
        if (first) ours.push(await oursRound(store, r));
        dbos.push(await dbosRound());
        if (!first) ours.push(await oursRound(store, r));
        console.log(
          `round ${r + 1}: ours ${STEPS} steps in ${ours.at(-1)!.toFixed(0)} ms (${((STEPS / ours.at(-1)!) * 1000).toFixed(0)}/s); ` +
            `DBOS ${STEPS} steps in ${dbos.at(-1)!.toFixed(0)} ms (${((STEPS / dbos.at(-1)!) * 1000).toFixed(0)}/s)`,
        );
      }
      const oursPerS = (STEPS / median(ours)) * 1000;
      const dbosPerS = (STEPS / median(dbos)) * 1000;
      const ratios = ours.map((ms, i) => dbos[i]! / ms);
      console.log(`per-round ratios: ${ratios.map((x) => x.toFixed(2)).join(' ')}`);
      console.log(
        JSON.stringify({
          bench: 'pg-vs-dbos',
          ours_steps_s: Math.round(oursPerS),
          dbos_steps_s: Math.round(dbosPerS),
          ratio: Math.round(median(ratios) * 1000) / 1000,
          steps: STEPS,
          rounds: ROUNDS,
          fsync: FSYNC,
          synchronous_commit: FSYNC,
        }),
      );
    } finally {
      await DBOS.shutdown();
      await store.close();
    }
  } finally {
    await server.destroy();
  }
}

await main();
