// Child process of kill-resume.test.ts: starts (or resumes) one job with a file-backed
// SqliteStore and runs it to the end, unless the parent SIGKILLs it first.
// Usage: kill-child.ts <db> <effectsFile> <jobId> <cluster>
// stdout: `ready` once the store is open, `running` once the job runs, then the outcome as JSON.
// Exit code 3: the previous (killed) runner's lease has not expired yet; try again.
import { Engine, PluginRegistry, isErrorKind } from '@scylla-cp/core';
import { SqliteStore } from '@scylla-cp/store-sqlite';
import { effectPlugin, killPlan } from '@scylla-cp/store-sql/test-support';

const [db, effects, jobId, cluster] = process.argv.slice(2) as [string, string, string, string];
const store = await SqliteStore.open(db);
console.log('ready');
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
