// A job store path (and the state folder, and the tokens file) whose folder cannot be made: the command ends at once with exit 2 and says which
// part of the path is in the way (SRE review of the CLI, 2026-12-04: SCYLLA_CP_DB=/proc/x/jobs.db
// spun at full CPU forever inside a recursive mkdir, and a path through a file said only EEXIST).
// The built CLI runs as a child with a time limit, as the old code never returned.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, BIN, tempHome } from './cli-harness.js';

let home: ReturnType<typeof tempHome>;
beforeAll(() => {
  assertBuilt();
  home = tempHome();
});
afterAll(() => home?.cleanup());

/** `scylla-cp <args>` with `env` over the test home, killed after 15 s. */
function cliLimited(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stderr: string; timedOut: boolean } {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...home.env, ...env, CI: 'true' }, encoding: 'utf8', timeout: 15_000, killSignal: 'SIGKILL' });
  return { status: r.status, stderr: r.stderr, timedOut: r.error !== undefined && (r.error as { code?: string }).code === 'ETIMEDOUT' };
}

/** `scylla-cp jobs` with `$SCYLLA_CP_DB=db`, killed after 15 s. */
const jobsWithStore = (db: string) => cliLimited(['jobs'], { SCYLLA_CP_DB: db });

describe('a job store whose folder cannot be created', () => {
  it('a folder the kernel refuses (/proc): exit 2 at once, naming the folder', () => {
    expect(fs.statSync('/proc').isDirectory(), 'this test needs Linux /proc').toBe(true);
    const r = jobsWithStore('/proc/scylla-cp-nope/jobs.db');
    expect(r.timedOut, 'the command did not end within 15 s').toBe(false);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('error: $SCYLLA_CP_DB: cannot create the folder /proc/scylla-cp-nope for /proc/scylla-cp-nope/jobs.db');
    expect(r.stderr).toMatch(/give another path/);
  });

  it('a path through a file: names the file that is in the way', () => {
    const file = path.join(home.dir, 'a-file');
    fs.writeFileSync(file, 'x');
    const r = jobsWithStore(path.join(file, 'sub', 'jobs.db'));
    expect(r.timedOut).toBe(false);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`error: $SCYLLA_CP_DB: cannot create the folder of ${path.join(file, 'sub', 'jobs.db')}: ${file} is a file, not a folder`);
  });

  it('missing folders on a normal path are still created', () => {
    const db = path.join(home.dir, 'x', 'y', 'jobs.db');
    const r = jobsWithStore(db);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.existsSync(db)).toBe(true);
  });
});

describe('other folders the command creates', () => {
  it('demo with $SCYLLA_CP_HOME under /proc: exit 2 at once, naming the folder', () => {
    const r = cliLimited(['demo'], { SCYLLA_CP_HOME: '/proc/scylla-cp-nope' });
    expect(r.timedOut, 'the command did not end within 15 s').toBe(false);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('error: $SCYLLA_CP_HOME: cannot create the folder /proc/scylla-cp-nope for /proc/scylla-cp-nope/demo');
  });

  it('server token --tokens under /proc: exit 2 at once, naming the folder', () => {
    const r = cliLimited(['server', 'token', '--name', 'a', '--role', 'viewer', '--tokens', '/proc/scylla-cp-nope/tokens.json'], {});
    expect(r.timedOut, 'the command did not end within 15 s').toBe(false);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('error: --tokens: cannot create the folder /proc/scylla-cp-nope for /proc/scylla-cp-nope/tokens.json');
  });

  it('sim start --inventory-out under /proc: exit 2 at once, before any node starts', () => {
    const r = cliLimited(['sim', 'start', '--inventory-out', '/proc/scylla-cp-nope/inv.yaml'], {});
    expect(r.timedOut, 'the command did not end within 15 s').toBe(false);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('error: --inventory-out: cannot create the folder /proc/scylla-cp-nope for /proc/scylla-cp-nope/inv.yaml');
  });
});
