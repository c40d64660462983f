// The kill test: a child process runs a job with a file-backed SqliteStore; the parent
// SIGKILLs it at seeded random moments and resumes the job in a new process, again and
// again, until the job completes. Two lanes (two jobs on two clusters, one database file)
// run side by side, so two processes write the file at once. Reproduce with SEED=<n>.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Prng, type StepRecord } from '@scylla-cp/core';
import { SqliteStore } from '@scylla-cp/store-sqlite';
import { tempDir } from './helpers.js';
import { killPlan, killPlanStepIds } from './children/kill-plan.js';
import { bundleChild, startBundle } from './children/spawn.js';

const SEED = process.env.SEED !== undefined ? Number(process.env.SEED) : Math.floor(Math.random() * 2 ** 31);
console.log(`kill-resume.test.ts SEED=${SEED}`);

/** Kills the suite must deliver (the issue asks for at least 50). */
const MIN_KILLS = 50;
/** Kill delay after the child reports `ready` (store open), ms: uniform in [0, MAX_KILL_DELAY_MS]. */
const MAX_KILL_DELAY_MS = 90;
const LANES = 2;

const tmp = tempDir('scp-kill-');
let bundle: string;
beforeAll(async () => {
  bundle = await bundleChild('kill-child.ts');
});
afterAll(() => {
  tmp.cleanup();
  if (bundle) fs.rmSync(bundle, { force: true });
});

interface KillSnapshot {
  /** Size of the effects file when the child was dead: lines after it were written later. */
  offset: number;
  succeeded: Set<string>;
  running: Set<string>;
}

interface Effect {
  offset: number;
  stepId: string;
}

function readEffects(file: string): Effect[] {
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, 'latin1');
  const out: Effect[] = [];
  let offset = 0;
  for (const line of text.split('\n')) {
    if (line.length > 0) out.push({ offset, stepId: line.split(' ')[0]! });
    offset += line.length + 1;
  }
  return out;
}

async function inspect(db: string, jobId: string): Promise<{ steps: StepRecord[]; integrity: string }> {
  const store = await SqliteStore.open(db);
  try {
    let steps: StepRecord[] = [];
    try {
      steps = await store.getSteps(jobId);
    } catch {
      steps = [];
    }
    return { steps, integrity: await store.integrityCheck() };
  } finally {
    await store.close();
  }
}

function waitForLine(get: () => string, line: string, exited: Promise<unknown>): Promise<boolean> {
  return new Promise((resolve) => {
    let finished = false;
    void exited.then(() => (finished = true));
    const poll = () => {
      if (get().split('\n').includes(line)) return resolve(true);
      if (finished) return resolve(false);
      setTimeout(poll, 2);
    };
    poll();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface LaneReport {
  kills: number;
  /** Kills that caught at least one step recorded `running`. */
  killsMidStep: number;
  jobs: number;
  runs: number;
}

/** Runs jobs one after another in this lane until `shared.kills` reaches MIN_KILLS. */
async function lane(laneNo: number, prng: Prng, db: string, shared: { kills: number }): Promise<LaneReport> {
  const report: LaneReport = { kills: 0, killsMidStep: 0, jobs: 0, runs: 0 };
  while (shared.kills < MIN_KILLS) {
    const jobNo = report.jobs++;
    const jobId = `lane${laneNo}-job${jobNo}`;
    const cluster = `lane${laneNo}-cluster${jobNo}`;
    const effects = path.join(tmp.dir, `${jobId}.effects`);
    const snapshots: KillSnapshot[] = [];
    let completed = false;
    for (let run = 0; !completed; run++) {
      expect(run, `${jobId}: no completion after ${run} runs (SEED=${SEED})`).toBeLessThan(200);
      report.runs++;
      const child = startBundle(bundle, [db, effects, jobId, cluster]);
      const ready = await waitForLine(() => child.output().stdout, 'ready', child.done);
      let killed = false;
      // Once the suite has its kills, let the job in flight run to completion.
      if (ready && shared.kills < MIN_KILLS) {
        const delay = prng.int(0, MAX_KILL_DELAY_MS);
        const timer = setTimeout(() => {
          killed = child.child.kill('SIGKILL');
        }, delay);
        void child.done.then(() => clearTimeout(timer));
      }
      const result = await child.done;
      if (result.signal === 'SIGKILL') {
        expect(killed).toBe(true);
        shared.kills++;
        report.kills++;
        const offset = fs.existsSync(effects) ? fs.statSync(effects).size : 0;
        const { steps, integrity } = await inspect(db, jobId);
        expect(integrity, `integrity after kill ${shared.kills} (SEED=${SEED})`).toBe('ok');
        expect(steps.filter((s) => s.state === 'failed')).toEqual([]);
        if (steps.some((s) => s.state === 'running')) report.killsMidStep++;
        snapshots.push({
          offset,
          succeeded: new Set(steps.filter((s) => s.state === 'succeeded').map((s) => s.stepId)),
          running: new Set(steps.filter((s) => s.state === 'running').map((s) => s.stepId)),
        });
        continue;
      }
      if (result.code === 3) {
        await sleep(100); // the killed runner's lease (TTL 0.4 s) has not expired yet
        continue;
      }
      expect({ code: result.code, signal: result.signal, stderr: result.stderr }, `${jobId} run ${run} (SEED=${SEED})`).toEqual({
        code: 0,
        signal: null,
        stderr: '',
      });
      const outcome = JSON.parse(result.stdout.trim().split('\n').pop()!) as { state: string };
      expect(outcome.state).toBe('succeeded');
      completed = true;
    }
    await verifyJob(db, jobId, effects, snapshots);
  }
  return report;
}

async function verifyJob(db: string, jobId: string, effectsFile: string, snapshots: KillSnapshot[]): Promise<void> {
  const planIds = killPlanStepIds(killPlan('x'));
  const store = await SqliteStore.open(db);
  try {
    expect(await store.integrityCheck()).toBe('ok');
    expect((await store.getJob(jobId)).state).toBe('succeeded');
    const steps = await store.getSteps(jobId);
    const events = await store.listEvents(jobId);
    const effects = readEffects(effectsFile);

    // Every step is recorded succeeded, exactly once.
    expect(steps.map((s) => s.stepId).sort()).toEqual([...planIds].sort());
    expect(steps.filter((s) => s.state !== 'succeeded')).toEqual([]);
    const succeededEvents = events.filter((e) => e.type === 'step.succeeded').map((e) => e.stepId!);
    expect(succeededEvents.sort()).toEqual([...planIds].sort());

    // Every execution was recorded before it happened: attempts >= executions >= 1.
    const executions = new Map<string, number>();
    for (const e of effects) executions.set(e.stepId, (executions.get(e.stepId) ?? 0) + 1);
    for (const s of steps) {
      const n = executions.get(s.stepId) ?? 0;
      expect(n, `${jobId} ${s.stepId} was never executed`).toBeGreaterThanOrEqual(1);
      expect(s.attempts, `${jobId} ${s.stepId}: ${n} executions but ${s.attempts} recorded attempts`).toBeGreaterThanOrEqual(n);
    }

    for (const [k, snap] of snapshots.entries()) {
      const later = effects.filter((e) => e.offset >= snap.offset);
      // No step recorded succeeded at a kill was executed again.
      const rerun = later.filter((e) => snap.succeeded.has(e.stepId)).map((e) => e.stepId);
      expect(rerun, `${jobId} kill #${k + 1}: steps recorded succeeded ran again (SEED=${SEED})`).toEqual([]);
      // Every step running at a kill was attempted again.
      const attempted = new Set(later.map((e) => e.stepId));
      const lost = [...snap.running].filter((id) => !attempted.has(id));
      expect(lost, `${jobId} kill #${k + 1}: steps running at the kill were not attempted again (SEED=${SEED})`).toEqual([]);
    }
  } finally {
    await store.close();
  }
}

it(
  `survives at least ${MIN_KILLS} SIGKILLs at random moments: nothing re-run, nothing lost, file intact`,
  async () => {
    const db = path.join(tmp.dir, 'jobs.db');
    await (await SqliteStore.open(db)).close();
    const root = new Prng(SEED);
    const shared = { kills: 0 };
    const reports = await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i, root.fork(), db, shared)));
    const total = reports.reduce(
      (a, r) => ({ kills: a.kills + r.kills, killsMidStep: a.killsMidStep + r.killsMidStep, jobs: a.jobs + r.jobs, runs: a.runs + r.runs }),
      { kills: 0, killsMidStep: 0, jobs: 0, runs: 0 },
    );
    console.log(
      `kill test SEED=${SEED}: ${total.kills} kills (${total.killsMidStep} caught a step running), ${total.jobs} jobs completed, ${total.runs} child runs`,
    );
    expect(total.kills).toBeGreaterThanOrEqual(MIN_KILLS);
    // The kills really landed inside steps, the case resume must get right.
    expect(total.killsMidStep).toBeGreaterThan(0);
  },
  300_000,
);
