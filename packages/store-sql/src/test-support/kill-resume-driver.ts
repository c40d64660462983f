import fs from 'node:fs';
import path from 'node:path';
import { Prng, type JobStore, type StepRecord } from '@scylla-cp/core';
import { startBundle, waitForLine } from './child-process.js';
import { killPlan, killPlanStepIds } from './kill-plan.js';

/** The assertions the driver uses (vitest's `expect` fits). */
export interface DriverExpect {
  (actual: unknown, message?: string): {
    toBe(expected: unknown): void;
    toEqual(expected: unknown): void;
    toBeLessThan(n: number): void;
    toBeGreaterThan(n: number): void;
    toBeGreaterThanOrEqual(n: number): void;
  };
}

/** A store the driver opens to inspect and verify (closed after each use). */
export type InspectableStore = JobStore & { integrityCheck?: () => Promise<string> };

/** Options of {@link runKillResume}. */
export interface KillResumeOptions {
  expect: DriverExpect;
  /** The bundled child (see `kill-child` in each store's tests): prints `ready` once its store is open, exits 3 while the lease is held. */
  bundle: string;
  /** The child's arguments for one run of job `jobId` on `cluster`, appending its effects to `effectsFile`. */
  childArgs: (jobId: string, cluster: string, effectsFile: string) => string[];
  /** Opens a new connection to the store the children write. */
  openStore: () => Promise<InspectableStore>;
  /** Directory for the effects files. */
  dir: string;
  seed: number;
  /** Kills to deliver. @default 50 */
  minKills?: number;
  /** Concurrent lanes (jobs on distinct clusters, children writing at once). @default 2 */
  lanes?: number;
  /** Kill delay after `ready`, ms: uniform in [0, maxKillDelayMs]. @default 90 */
  maxKillDelayMs?: number;
  /** Wait before retrying a run refused because the killed runner's lease is still valid, ms. @default 100 */
  leaseWaitMs?: number;
  /**
   * Called after each kill, before the store is inspected: resolves once nothing the
   * dead child sent can still be applied. A database server (PostgreSQL) may still
   * commit a statement that a client sent just before it died; inspecting earlier
   * would record a step as `running` that then commits `succeeded`. Not needed for
   * an embedded store (SQLite), whose writes die with the process.
   */
  afterKill?: (jobId: string) => Promise<void>;
}

/** What {@link runKillResume} did. */
export interface KillResumeReport {
  kills: number;
  /** Kills that caught at least one step recorded `running`. */
  killsMidStep: number;
  jobs: number;
  runs: number;
}

interface KillSnapshot {
  /** Size of the effects file when the child was dead: lines after it were written later. */
  offset: number;
  succeeded: Set<string>;
  running: Set<string>;
}

function readEffects(file: string): { offset: number; stepId: string }[] {
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, 'latin1');
  const out: { offset: number; stepId: string }[] = [];
  let offset = 0;
  for (const line of text.split('\n')) {
    if (line.length > 0) out.push({ offset, stepId: line.split(' ')[0]! });
    offset += line.length + 1;
  }
  return out;
}

/**
 * The kill test of a durable store: children run {@link killPlan} jobs; the
 * driver SIGKILLs them at seeded random moments and resumes each job in a new
 * child until it completes, lane after lane, until `minKills` kills landed.
 * Then, per job: every step recorded succeeded exactly once; every execution
 * preceded by its own recorded start (`step.started` / `step.attempt` event); no step recorded succeeded at a
 * kill ran again; every step running at a kill ran again; and (when the store
 * has `integrityCheck`) the database is sound after every kill.
 */
export async function runKillResume(o: KillResumeOptions): Promise<KillResumeReport> {
  const { expect } = o;
  const minKills = o.minKills ?? 50;
  const shared = { kills: 0 };
  const root = new Prng(o.seed);

  async function inspect(jobId: string): Promise<{ steps: StepRecord[]; integrity: string }> {
    const store = await o.openStore();
    try {
      let steps: StepRecord[] = [];
      try {
        steps = await store.getSteps(jobId);
      } catch {
        steps = [];
      }
      return { steps, integrity: store.integrityCheck ? await store.integrityCheck() : 'ok' };
    } finally {
      await store.close();
    }
  }

  async function verifyJob(jobId: string, effectsFile: string, snapshots: KillSnapshot[]): Promise<void> {
    const planIds = killPlanStepIds(killPlan('x'));
    const store = await o.openStore();
    try {
      if (store.integrityCheck) expect(await store.integrityCheck()).toBe('ok');
      expect((await store.getJob(jobId)).state).toBe('succeeded');
      const steps = await store.getSteps(jobId);
      const events = await store.listEvents(jobId);
      const effects = readEffects(effectsFile);
      expect(steps.map((s) => s.stepId).sort()).toEqual([...planIds].sort());
      expect(steps.filter((s) => s.state !== 'succeeded')).toEqual([]);
      const succeededEvents = events.filter((e) => e.type === 'step.succeeded').map((e) => e.stepId!);
      expect(succeededEvents.sort()).toEqual([...planIds].sort());
      // Every execution was recorded before it happened: each one follows its own committed
      // `step.started` / `step.attempt` event (an attempt cut short by a kill is run again
      // under the same attempt number, so the events, not `attempts`, count the executions).
      const executions = new Map<string, number>();
      for (const e of effects) executions.set(e.stepId, (executions.get(e.stepId) ?? 0) + 1);
      const recordedStarts = new Map<string, number>();
      for (const e of events) {
        if (e.type === 'step.started' || e.type === 'step.attempt') recordedStarts.set(e.stepId!, (recordedStarts.get(e.stepId!) ?? 0) + 1);
      }
      for (const s of steps) {
        const n = executions.get(s.stepId) ?? 0;
        const starts = recordedStarts.get(s.stepId) ?? 0;
        expect(n, `${jobId} ${s.stepId} was never executed`).toBeGreaterThanOrEqual(1);
        expect(starts, `${jobId} ${s.stepId}: ${n} executions but ${starts} recorded starts`).toBeGreaterThanOrEqual(n);
        expect(s.attempts).toBeGreaterThanOrEqual(1);
      }
      for (const [k, snap] of snapshots.entries()) {
        const later = effects.filter((e) => e.offset >= snap.offset);
        const rerun = later.filter((e) => snap.succeeded.has(e.stepId)).map((e) => e.stepId);
        expect(rerun, `${jobId} kill #${k + 1}: steps recorded succeeded ran again (SEED=${o.seed})`).toEqual([]);
        const attempted = new Set(later.map((e) => e.stepId));
        const lost = [...snap.running].filter((id) => !attempted.has(id));
        expect(lost, `${jobId} kill #${k + 1}: steps running at the kill were not attempted again (SEED=${o.seed})`).toEqual([]);
      }
    } finally {
      await store.close();
    }
  }

  async function lane(laneNo: number, prng: Prng): Promise<KillResumeReport> {
    const report: KillResumeReport = { kills: 0, killsMidStep: 0, jobs: 0, runs: 0 };
    while (shared.kills < minKills) {
      const jobNo = report.jobs++;
      const jobId = `lane${laneNo}-job${jobNo}`;
      const cluster = `lane${laneNo}-cluster${jobNo}`;
      const effects = path.join(o.dir, `${jobId}.effects`);
      const snapshots: KillSnapshot[] = [];
      let completed = false;
      for (let run = 0; !completed; run++) {
        expect(run, `${jobId}: no completion after ${run} runs (SEED=${o.seed})`).toBeLessThan(200);
        report.runs++;
        const child = startBundle(o.bundle, o.childArgs(jobId, cluster, effects));
        const ready = await waitForLine(() => child.output().stdout, 'ready', child.done);
        let killed = false;
        // Once the suite has its kills, let the job in flight run to completion.
        if (ready && shared.kills < minKills) {
          const delay = prng.int(0, o.maxKillDelayMs ?? 90);
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
          await o.afterKill?.(jobId);
          const offset = fs.existsSync(effects) ? fs.statSync(effects).size : 0;
          const { steps, integrity } = await inspect(jobId);
          expect(integrity, `integrity after kill ${shared.kills} (SEED=${o.seed})`).toBe('ok');
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
          await new Promise((r) => setTimeout(r, o.leaseWaitMs ?? 100)); // the killed runner's lease has not expired yet
          continue;
        }
        expect({ code: result.code, signal: result.signal, stderr: result.stderr }, `${jobId} run ${run} (SEED=${o.seed})`).toEqual({
          code: 0,
          signal: null,
          stderr: '',
        });
        const outcome = JSON.parse(result.stdout.trim().split('\n').pop()!) as { state: string };
        expect(outcome.state).toBe('succeeded');
        completed = true;
      }
      await verifyJob(jobId, effects, snapshots);
    }
    return report;
  }

  const reports = await Promise.all(Array.from({ length: o.lanes ?? 2 }, (_, i) => lane(i, root.fork())));
  return reports.reduce(
    (a, r) => ({ kills: a.kills + r.kills, killsMidStep: a.killsMidStep + r.killsMidStep, jobs: a.jobs + r.jobs, runs: a.runs + r.runs }),
    { kills: 0, killsMidStep: 0, jobs: 0, runs: 0 },
  );
}
