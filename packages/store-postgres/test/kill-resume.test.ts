// The kill test on PostgreSQL: child processes run jobs with a PostgresStore; the parent
// SIGKILLs them at seeded random moments and resumes each job in a new process until it
// completes (two lanes: two children write the database at once). The driver and its checks
// are the SQLite store's (@scylla-cp/store-sql/test-support). Reproduce with SEED=<n>.
import fs from 'node:fs';
import pgLib from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runKillResume, tempDir } from '@scylla-cp/store-sql/test-support';
import { PostgresStore } from '@scylla-cp/store-postgres';
import { bundleChild } from './children/spawn.js';
import { usePostgresServer } from './pg-fixture.js';

const SEED = process.env.SEED !== undefined ? Number(process.env.SEED) : Math.floor(Math.random() * 2 ** 31);
console.log(`kill-resume.test.ts (postgres) SEED=${SEED}`);

const MIN_KILLS = 50;
const pg = usePostgresServer();
const tmp = tempDir('scp-pg-kill-');
let bundle: string;
beforeAll(async () => {
  bundle = await bundleChild('kill-child.ts');
});
afterAll(() => {
  tmp.cleanup();
  if (bundle) fs.rmSync(bundle, { force: true });
});

it(
  `survives at least ${MIN_KILLS} SIGKILLs at random moments: nothing re-run, nothing lost`,
  async () => {
    const url = pg.server.connectionString();
    await (await PostgresStore.open({ connectionString: url, schema: 'kill' })).close();
    // PostgreSQL may still commit what a child sent just before its SIGKILL: its backend
    // runs the statement already in its socket buffer, and only then sees the closed
    // connection. Inspect the store only once the dead child's backends are gone.
    const monitor = new pgLib.Client({ connectionString: url });
    await monitor.connect();
    let lingering = 0;
    const afterKill = async (jobId: string): Promise<void> => {
      const deadline = Date.now() + 15_000;
      for (let first = true; ; first = false) {
        const r = await monitor.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [`kill-child:${jobId}`]);
        if (Number(r.rows[0]!.n) === 0) return;
        if (first) lingering++;
        if (Date.now() > deadline) throw new Error(`the killed child of ${jobId} still has server backends after 15 s (SEED=${SEED})`);
        await new Promise((res) => setTimeout(res, 10));
      }
    };
    const total = await runKillResume({
      expect,
      bundle,
      childArgs: (jobId, cluster, effects) => [url, 'kill', effects, jobId, cluster],
      openStore: () => PostgresStore.open({ connectionString: url, schema: 'kill', maxConnections: 2 }),
      dir: tmp.dir,
      seed: SEED,
      minKills: MIN_KILLS,
      lanes: 2,
      // A child connects and runs a few commits before its first step: kill a little later than with SQLite.
      maxKillDelayMs: 250,
      afterKill,
    }).finally(() => monitor.end());
    console.log(
      `kill test (postgres) SEED=${SEED}: ${total.kills} kills (${total.killsMidStep} caught a step running), ${total.jobs} jobs completed, ${total.runs} child runs, ${lingering} kills left server backends running for a moment`,
    );
    expect(total.kills).toBeGreaterThanOrEqual(MIN_KILLS);
    expect(total.killsMidStep).toBeGreaterThan(0);
  },
  600_000,
);
