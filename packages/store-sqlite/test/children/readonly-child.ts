// Child process of store-unavailable.test.ts: with a database file it may read but not
// write, tries to resume a paused job and prints what happened as one JSON line.
// Usage: readonly-child.ts <db> <jobId>
import { Engine, PluginRegistry, definePlugin } from '@scylla-cp/core';
import { SqliteStore } from '@scylla-cp/store-sqlite';
import { z } from 'zod';

const [db, jobId] = process.argv.slice(2) as [string, string];
const executed: string[] = [];
const plugin = definePlugin({
  name: 'readonly-test',
  version: '1.0.0',
  clusterTasks: {
    act: {
      description: 'records that it ran',
      params: z.object({ name: z.string() }).strict(),
      create: () => ({ name: () => 'act', preconditions: () => [], execute: async (ctx) => void executed.push(ctx.stepId) }),
    },
  },
});
const store = await SqliteStore.open(db);
const job = await store.getJob(jobId);
const engine = new Engine({ store, registry: new PluginRegistry().register(plugin) });
try {
  const handle = await engine.resume(jobId);
  const outcome = await handle.done;
  console.log(JSON.stringify({ resumed: true, outcome, executed, stateBefore: job.state }));
} catch (e) {
  const err = e as Error;
  console.log(JSON.stringify({ resumed: false, name: err.name, message: err.message, executed, stateBefore: job.state }));
}
await store.close();
