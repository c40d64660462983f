import readline from 'node:readline';
import { Engine, PluginRegistry, isErrorKind, type JobStore } from '@scylla-cp/core';
import { effectPlugin, killPlan } from './kill-plan.js';
import { newJob } from './store-fixtures.js';

/**
 * The body of a kill-test child (see `runKillResume`): starts (or resumes) job `jobId`
 * of {@link killPlan} on `store` and runs it to the end, unless the parent SIGKILLs it.
 * stdout: `ready` (call it once the store is open: the caller prints it), `running` once
 * the job runs, then the outcome as JSON. Exits 3 while the killed runner's lease is held.
 */
export async function killChildMain(store: JobStore, effects: string, jobId: string, cluster: string): Promise<void> {
  const registry = new PluginRegistry().register(effectPlugin(effects));
  const engine = new Engine({ store, registry, leaseTtlSeconds: 0.4, heartbeatSeconds: 0.1, holder: `kill-child:${process.pid}`, seed: process.pid });
  let exists = true;
  try {
    const job = await store.getJob(jobId);
    if (job.state === 'succeeded') {
      // Killed after the final commit, before exiting: nothing left to run.
      console.log(JSON.stringify({ jobId, state: job.state, alreadyDone: true }));
      await store.close();
      process.exit(0);
    }
  } catch (e) {
    if (!isErrorKind(e, 'JobNotFoundError')) throw e;
    exists = false;
  }
  let handle;
  try {
    handle = exists
      ? await engine.resume(jobId)
      : await engine.start(killPlan(cluster), { operator: 'kill-test', workflowText: 'name: kill-test\n', jobId });
  } catch (e) {
    if (isErrorKind(e, 'LeaseHeldError')) {
      console.log('lease-held');
      await store.close();
      process.exit(3);
    }
    throw e;
  }
  console.log('running');
  const outcome = await handle.done;
  console.log(JSON.stringify(outcome));
  await store.close();
}

/**
 * The body of a cluster-lock race child: prints `ready`, reads the agreed start instant
 * (ms since epoch) from stdin, then at `startAt + r * gapMs` tries to create a job on
 * cluster `race-<r>`, for `rounds` rounds, printing one JSON line per round
 * (`{ round, id, outcome: 'won' | 'locked' | 'error', heldByJobId?, heldByOperator?, message? }`).
 */
export async function raceChildMain(store: JobStore, who: string, rounds: number, gapMs: number): Promise<void> {
  console.log('ready');
  const input = readline.createInterface({ input: process.stdin });
  const startAt = await new Promise<string>((resolve) => input.once('line', resolve));
  input.close();
  for (let r = 0; r < rounds; r++) {
    const at = Number(startAt) + r * gapMs;
    while (Date.now() < at) {
      // spin: both processes start the round at the same millisecond
    }
    const id = `${who}-${r}`;
    try {
      await store.createJob(newJob(id, { cluster: `race-${r}`, operator: who, at: Date.now() }));
      console.log(JSON.stringify({ round: r, id, outcome: 'won' }));
    } catch (e) {
      const locked = isErrorKind(e, 'ClusterLockedError');
      const heldBy = locked ? (e as { heldByJobId: string; heldByOperator: string }) : undefined;
      console.log(
        JSON.stringify({ round: r, id, outcome: locked ? 'locked' : 'error', heldByJobId: heldBy?.heldByJobId, heldByOperator: heldBy?.heldByOperator, message: String(e) }),
      );
    }
  }
  await store.close();
}
