// The kill test: a child process runs a job with a file-backed SqliteStore; the parent
// SIGKILLs it at seeded random moments and resumes the job in a new process, again and
// again, until the job completes. Two lanes (two jobs on two clusters, one database file)
// run side by side, so two processes write the file at once. Reproduce with SEED=<n>.
// The driver and its checks are shared with the PostgreSQL store (@scylla-cp/store-sql/test-support).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runKillResume } from '@scylla-cp/store-sql/test-support';
import { SqliteStore } from '@scylla-cp/store-sqlite';
import { tempDir } from './helpers.js';
import { bundleChild } from './children/spawn.js';

const SEED = process.env.SEED !== undefined ? Number(process.env.SEED) : Math.floor(Math.random() * 2 ** 31);
console.log(`kill-resume.test.ts SEED=${SEED}`);

/** Kills the suite must deliver (the issue asks for at least 50). */
const MIN_KILLS = 50;

const tmp = tempDir('scp-kill-');
let bundle: string;
beforeAll(async () => {
  bundle = await bundleChild('kill-child.ts');
});
afterAll(() => {
  tmp.cleanup();
  if (bundle) fs.rmSync(bundle, { force: true });
});

it(
  `survives at least ${MIN_KILLS} SIGKILLs at random moments: nothing re-run, nothing lost, file intact`,
  async () => {
    const db = path.join(tmp.dir, 'jobs.db');
    await (await SqliteStore.open(db)).close();
    const total = await runKillResume({
      expect,
      bundle,
      childArgs: (jobId, cluster, effects) => [db, effects, jobId, cluster],
      openStore: () => SqliteStore.open(db),
      dir: tmp.dir,
      seed: SEED,
      minKills: MIN_KILLS,
      lanes: 2,
      maxKillDelayMs: 90,
    });
    console.log(
      `kill test SEED=${SEED}: ${total.kills} kills (${total.killsMidStep} caught a step running), ${total.jobs} jobs completed, ${total.runs} child runs`,
    );
    expect(total.kills).toBeGreaterThanOrEqual(MIN_KILLS);
    // The kills really landed inside steps, the case resume must get right.
    expect(total.killsMidStep).toBeGreaterThan(0);
  },
  300_000,
);
