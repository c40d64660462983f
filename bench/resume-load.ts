// Benchmark: how long a resume takes to load a big job and work out what remains.
//
// Setup (not timed): a file-backed SqliteStore holding one job whose plan is a node
// workflow over 12,000 nodes x 10 tasks (120,000 steps), with 100,000 step records
// (99,000 succeeded, 500 running = interrupted, 500 failed; every tenth has a JSON
// result, the failed ones an error).
// Timed, RUNS times, each from a freshly opened store (cold plan cache), what the
// engine's resume does (loadResumeState): open the file + getJob + getResumeRecords
// (completed steps by id, the others in full) + computeResumeState.
// Last line: {"bench":"resume-load","resume_ms":<median>,...}. Target: resume_ms <= 250.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { computeResumeState, type JobPlan, type StepUpdate } from '@scylla-cp/core';
import { SqliteStore } from '@scylla-cp/store-sqlite';

const NODES = 12_000;
const TASKS = 10;
const RECORDS = 100_000;
const RUNS = 5;

function plan(): JobPlan {
  const nodes = Array.from({ length: NODES }, (_, i) => ({
    id: `node-${i}`,
    address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    dc: 'dc1',
    rack: `r${i % 3}`,
    zone: `z${i % 3}`,
    labels: {},
    connection: {},
  }));
  return {
    formatVersion: 1,
    workflowName: 'rolling-restart',
    cluster: 'big',
    inventory: { name: 'big', nodes, connection: {} },
    targeting: {},
    variables: {},
    steps: [
      {
        kind: 'node-workflow',
        id: 's0',
        name: 'restart',
        concurrencyUnit: 'zone',
        concurrencyLimit: 1,
        abortOnFirstFailure: true,
        tasks: Array.from({ length: TASKS }, (_, t) => ({
          tag: `task-${t}`,
          params: { t },
          retries: 2,
          retryBackoff: { initialSeconds: 5, multiplier: 2, maxSeconds: 60 },
        })),
        batches: [0, 1, 2].map((z) => ({ id: `s0/b${z}`, unit: `z${z}`, nodes: nodes.filter((_, i) => i % 3 === z).map((n) => n.id) })),
      },
    ],
  };
}

async function setup(file: string): Promise<void> {
  const store = await SqliteStore.open(file, { synchronous: 'NORMAL' });
  const p = plan();
  await store.createJob({ id: 'job-1', cluster: 'big', operator: 'bench', workflowName: 'rolling-restart', workflowText: 'name: rolling-restart\n', plan: p, at: 0 });
  const lease = await store.acquireLease('job-1', 'bench', 3_600_000, 0);
  const node = p.steps[0]!;
  if (node.kind !== 'node-workflow') throw new Error('unreachable');
  let batch: StepUpdate[] = [];
  let written = 0;
  outer: for (const b of node.batches) {
    for (const nodeId of b.nodes) {
      for (let t = 0; t < TASKS; t++) {
        const i = written++;
        const state = i < 99_000 ? 'succeeded' : i < 99_500 ? 'running' : 'failed';
        const u: StepUpdate = { stepId: `s0/${nodeId}/t${t}`, nodeId, state, attempts: 1, startedAt: 1_767_225_600_000 + i };
        if (i % 10 === 0) u.result = { drained: true, pending: [] };
        if (state !== 'running') u.finishedAt = 1_767_225_700_000 + i;
        if (state === 'failed') u.lastError = { name: 'UnrecoverableError', message: 'boom', classification: 'unrecoverable' };
        batch.push(u);
        if (batch.length === 5_000) {
          await store.commit(lease, { at: 3_000, steps: batch });
          batch = [];
        }
        if (written === RECORDS) break outer;
      }
    }
  }
  if (batch.length > 0) await store.commit(lease, { at: 3_000, steps: batch });
  await store.close();
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scp-bench-resume-'));
  const file = path.join(dir, 'jobs.db');
  try {
    await setup(file);
    const times: number[] = [];
    const cpuTimes: number[] = [];
    const parts: { open: number; getJob: number; getResumeRecords: number; compute: number }[] = [];
    let remaining = 0;
    for (let run = 0; run < RUNS; run++) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const store = await SqliteStore.open(file);
      const t1 = performance.now();
      const job = await store.getJob('job-1');
      const t2 = performance.now();
      const records = await store.getResumeRecords('job-1');
      const t3 = performance.now();
      const state = computeResumeState(job.plan, records);
      const t4 = performance.now();
      const ms = t4 - t0;
      const cpu = process.cpuUsage(cpu0);
      cpuTimes.push((cpu.user + cpu.system) / 1000);
      parts.push({ open: t1 - t0, getJob: t2 - t1, getResumeRecords: t3 - t2, compute: t4 - t3 });
      await store.close();
      const recordCount = records.completedStepIds.length + records.openRecords.length;
      if (recordCount !== RECORDS) throw new Error(`expected ${RECORDS} records, got ${recordCount}`);
      if (state.completedSteps !== 99_000 || state.interruptedStepIds.length !== 500 || state.failedStepIds.length !== 500) {
        throw new Error(`unexpected resume state: ${JSON.stringify({ ...state, records: undefined })}`);
      }
      remaining = state.remainingSteps;
      times.push(ms);
      const p = parts[parts.length - 1]!;
      console.log(
        `run ${run + 1}: ${ms.toFixed(1)} ms (open ${p.open.toFixed(1)}, getJob ${p.getJob.toFixed(1)}, getResumeRecords ${p.getResumeRecords.toFixed(1)}, ` +
          `computeResumeState ${p.compute.toFixed(1)}; ${recordCount} records, ${state.totalSteps} plan steps, ${state.remainingSteps} remain)`,
      );
    }
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    const mid = parts[times.indexOf(median)]!;
    const r1 = (x: number) => Math.round(x * 10) / 10;
    console.log(
      JSON.stringify({
        bench: 'resume-load',
        resume_ms: Math.round(median * 10) / 10,
        // CPU time of the same runs (user + system, ms): what the work costs when other
        // processes compete for the cores and stretch the wall-clock figure.
        resume_cpu_ms: r1([...cpuTimes].sort((a, b) => a - b)[Math.floor(cpuTimes.length / 2)]!),
        resume_ms_first: Math.round(times[0]! * 10) / 10,
        resume_ms_max: Math.round(sorted[sorted.length - 1]! * 10) / 10,
        median_run_ms: { open: r1(mid.open), getJob: r1(mid.getJob), getResumeRecords: r1(mid.getResumeRecords), computeResumeState: r1(mid.compute) },
        step_records: RECORDS,
        plan_steps: NODES * TASKS,
        remaining_steps: remaining,
        runs: RUNS,
      }),
    );
  } finally {
    if (!process.env.KEEP) fs.rmSync(dir, { recursive: true, force: true }); else console.log(file);
  }
}

await main();
