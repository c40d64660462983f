// Benchmark: what the durable store costs the engine.
//
// Engine side: 10,000 no-op steps (a node workflow over 1,000 nodes x 10 no-op tasks, one
// node at a time, as a rolling operation runs) through the Engine with a file-backed
// SqliteStore (WAL, synchronous=FULL; SYNCHRONOUS=NORMAL in the environment for both sides). Every store write transaction is counted.
// Baseline, same process, same schema, same pragmas: exactly that many committed
// better-sqlite3 transactions (BEGIN IMMEDIATE ... COMMIT), each writing the rows the engine's
// step transitions write (per node: a start; then a success and the next start in one
// transaction, two step-record upserts and two event rows; then the last success), with no
// engine and no store.
//
// Paired in time: on this shared machine fsync latency swings tenfold from one minute to
// the next, so the two sides are interleaved: every SLICE_STEPS steps (default 1) the no-op
// task runs the baseline transactions that catch up with the engine's count (timed on their
// own and subtracted from the engine's wall time), and whatever remains after the job runs
// last. Pairing step by step matters beyond the swings: back-to-back commits (a burst of
// baseline transactions) fsync measurably faster than commits spread between other work,
// so coarse slices (BENCH_SLICE_STEPS=250) flatter the baseline by about 0.1 in the ratio.
// Last line: {"bench":"store-overhead","steps_per_s","baseline_tx_per_s","overhead_ratio",...}.
// Target: overhead_ratio <= 1.5.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Engine, PluginRegistry, type JobPlan, type JobStore } from '@scylla-cp/core';
import { SqliteStore } from '@scylla-cp/store-sqlite';
import { median, noopPlan, noopPlugin } from './_noop-job.js';

const NODES = 1_000;
const TASKS = 10;
const STEPS = NODES * TASKS;
const ROUNDS = Number(process.env.ROUNDS ?? 1);
/** Steps between baseline catch-ups. @default 1 */
const SLICE_STEPS = Number(process.env.BENCH_SLICE_STEPS ?? 1);
if (!Number.isInteger(SLICE_STEPS) || SLICE_STEPS < 1) throw new Error(`BENCH_SLICE_STEPS must be a positive integer, got ${process.env.BENCH_SLICE_STEPS}`);
/** `SYNCHRONOUS=NORMAL` runs both sides without an fsync per commit (shows the CPU-bound worst case). */
const SYNCHRONOUS = process.env.SYNCHRONOUS === 'NORMAL' ? 'NORMAL' : 'FULL';

/** Called by every no-op step; the benchmark uses it to run the interleaved baseline slices. */
let onStep: () => void = () => {};
const plugin = noopPlugin(() => onStep());
const plan = (cluster: string): JobPlan => noopPlan(cluster, NODES, TASKS);

/** Counts the store's write transactions (each JobStore write is one transaction). */
function counting(store: SqliteStore): { store: JobStore; transactions: () => number } {
  let n = 0;
  const writes = new Set(['createJob', 'acquireLease', 'renewLease', 'releaseLease', 'commit', 'requestControl']);
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (typeof prop === 'string' && writes.has(prop)) {
        return (...args: unknown[]) => {
          n++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
  return { store: proxy, transactions: () => n };
}

/** The baseline: plain better-sqlite3 transactions into a file with the store's schema. */
async function openBaseline(dir: string, round: number) {
  const file = path.join(dir, `baseline-${round}.db`);
  // Same schema as the store (created by it), then plain better-sqlite3 with the same pragmas.
  const setup = await SqliteStore.open(file);
  await setup.createJob({ id: 'job', cluster: 'baseline', operator: 'bench', workflowName: 'noop', workflowText: 'name: noop\n', plan: plan('baseline'), at: 0 });
  await setup.close();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${SYNCHRONOUS}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  const upsertStep = db.prepare(
    `INSERT INTO steps (job_id, step_id, node_id, state, attempts, started_at, finished_at, last_error, result)
     VALUES (?, ?, ?, ?, 1, ?, ?, NULL, NULL)
     ON CONFLICT (job_id, step_id) DO UPDATE SET state = excluded.state, attempts = excluded.attempts,
       started_at = coalesce(excluded.started_at, started_at), finished_at = coalesce(excluded.finished_at, finished_at)`,
  );
  const insertEvent = db.prepare('INSERT INTO events (job_id, at, type, step_id, data) VALUES (?, ?, ?, ?, ?)');
  // The engine's step transactions, in order: per node, t0's start; then t(k-1)'s success with
  // t(k)'s start (the hand-off, one transaction); then the last task's success.
  const start = (stepId: string, nodeId: string, at: string) => {
    upsertStep.run('job', stepId, nodeId, 'running', at, null);
    insertEvent.run('job', at, 'step.started', stepId, JSON.stringify({ attempt: 1, nodeId, task: 'noop' }));
  };
  const succeed = (stepId: string, nodeId: string, at: string) => {
    upsertStep.run('job', stepId, nodeId, 'succeeded', null, at);
    insertEvent.run('job', at, 'step.succeeded', stepId, JSON.stringify({ attempt: 1 }));
  };
  const tx = db.transaction((i: number) => {
    const k = i % (TASKS + 1);
    const nodeId = `node-${Math.floor(i / (TASKS + 1)) % NODES}`;
    const at = new Date(1_767_225_600_000 + i).toISOString();
    if (k > 0) succeed(`s0/${nodeId}/t${k - 1}`, nodeId, at);
    if (k < TASKS) start(`s0/${nodeId}/t${k}`, nodeId, at);
  });
  let done = 0;
  let ms = 0;
  return {
    /** Runs `count` more committed transactions; returns the ms they took. */
    run(count: number): number {
      const t0 = performance.now();
      for (let k = 0; k < count; k++) tx.immediate(done++);
      const dt = performance.now() - t0;
      ms += dt;
      return dt;
    },
    get transactions() {
      return done;
    },
    get ms() {
      return ms;
    },
    close: () => db.close(),
  };
}

async function round(dir: string, r: number): Promise<{ engineMs: number; baselineMs: number; transactions: number }> {
  const baseline = await openBaseline(dir, r);
  const sqlite = await SqliteStore.open(path.join(dir, `engine-${r}.db`), { synchronous: SYNCHRONOUS });
  const { store, transactions } = counting(sqlite);
  const engine = new Engine({ store, registry: new PluginRegistry().register(plugin), seed: r + 1 });
  let steps = 0;
  let inBaseline = 0;
  onStep = () => {
    if (++steps % SLICE_STEPS === 0) inBaseline += baseline.run(Math.max(0, transactions() - baseline.transactions));
  };
  const t0 = performance.now();
  const handle = await engine.start(plan(`bench-${r}`), { operator: 'bench', workflowText: 'name: noop\n' });
  const outcome = await handle.done;
  const engineMs = performance.now() - t0 - inBaseline;
  onStep = () => {};
  if (outcome.state !== 'succeeded' || outcome.stepsSucceeded !== STEPS) throw new Error(`engine run failed: ${JSON.stringify(outcome)}`);
  const recorded = await sqlite.getSteps(handle.jobId);
  if (recorded.length !== STEPS || recorded.some((s) => s.state !== 'succeeded')) throw new Error('engine run did not record every step');
  await sqlite.close();
  baseline.run(transactions() - baseline.transactions);
  if (baseline.transactions !== transactions()) throw new Error('baseline and engine transaction counts differ');
  baseline.close();
  return { engineMs, baselineMs: baseline.ms, transactions: transactions() };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scp-bench-overhead-'));
  try {
    const engineMs: number[] = [];
    const baselineMs: number[] = [];
    const ratios: number[] = [];
    let transactions = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const res = await round(dir, r);
      transactions = res.transactions;
      engineMs.push(res.engineMs);
      baselineMs.push(res.baselineMs);
      ratios.push(res.engineMs / res.baselineMs);
      console.log(
        `round ${r + 1}: engine ${STEPS} steps (${res.transactions} transactions) in ${res.engineMs.toFixed(0)} ms; ` +
          `baseline ${res.transactions} transactions in ${res.baselineMs.toFixed(0)} ms; ratio ${(res.engineMs / res.baselineMs).toFixed(3)}`,
      );
    }
    const eMs = median(engineMs);
    const bMs = median(baselineMs);
    console.log(
      JSON.stringify({
        bench: 'store-overhead',
        steps_per_s: Math.round((STEPS / eMs) * 1000),
        baseline_tx_per_s: Math.round((transactions / bMs) * 1000),
        overhead_ratio: Math.round(median(ratios) * 1000) / 1000,
        steps: STEPS,
        transactions,
        rounds: ROUNDS,
        slice_steps: SLICE_STEPS,
        synchronous: SYNCHRONOUS,
      }),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
