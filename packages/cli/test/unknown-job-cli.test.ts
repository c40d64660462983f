// An unknown job id names the store it was looked up in and how to find the job (SRE review of the
// CLI, 2026-12-04: "no job with id X in this store" did not say which store, nor what to do).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliIn } from './in-process-cli.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scylla-cp-unknown-job-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('an unknown job id', () => {
  it.each([['status'], ['logs'], ['resume'], ['retry'], ['pause'], ['cancel'], ['approve']])('%s: exit 2, the store path, and how to list or look elsewhere', async (command) => {
    const r = await cliIn(dir, [command, 'job-nope']);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain(`no job with id job-nope in the job store ${path.join(dir, 'jobs.db')} ($SCYLLA_CP_DB)`);
    expect(r.err).toMatch(/list its jobs: scylla-cp jobs\n.*--db <path>/);
  });

  it('--db names the flag as the source of the store', async () => {
    const other = path.join(dir, 'other.db');
    const r = await cliIn(dir, ['--db', other, 'status', 'job-nope']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`in the job store ${other} (--db)`);
  });
});
