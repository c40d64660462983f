// Child process of kill-resume.test.ts: starts (or resumes) one job with a PostgresStore
// and runs it to the end, unless the parent SIGKILLs it first.
// Usage: kill-child.ts <connectionString> <schema> <effectsFile> <jobId> <cluster>
// stdout: `ready` once the store is open, `running` once the job runs, then the outcome as JSON.
// Exit code 3: the previous (killed) runner's lease has not expired yet; try again.
import { killChildMain } from '@scylla-cp/store-sql/test-support';
import { PostgresStore } from '@scylla-cp/store-postgres';

const [connectionString, schema, effects, jobId, cluster] = process.argv.slice(2) as [string, string, string, string, string];
// Tagged with the job id so that the parent can wait, after a kill, until this child's
// server backends have exited (see `afterKill` in kill-resume.test.ts).
const store = await PostgresStore.open({ connectionString, schema, maxConnections: 4, poolConfig: { application_name: `kill-child:${jobId}` } });
console.log('ready');
await killChildMain(store, effects, jobId, cluster);
