import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresServer } from '@scylla-cp/store-postgres/test-support';
import { main } from '../src/main.js';
import { captureIo } from './in-process-cli.js';

// `scylla-cp server start` and the CLI with `--server URL`: the same commands, the same exit
// codes, the live view from the server's event stream (issue 17 items 2 and 5).

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scp-cli-server-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** An in-process CliIo: captured output, a controllable Ctrl-C; no job store of its own (the server has it). */
const fakeIo = (env: NodeJS.ProcessEnv = {}) => captureIo(dir, { HOME: dir, SCYLLA_CP_HOME: path.join(dir, 'home'), CI: 'true', ...env });

const inventory = (cluster: string, n: number) =>
  `name: ${cluster}\nnodes:\n${Array.from({ length: n }, (_, i) => `  - id: n${i + 1}\n    address: 10.0.1.${i + 1}\n    dc: dc1\n    rack: r1\n`).join('')}`;
const sleepWorkflow = (s: number) =>
  `name: sleep each node\ncluster_tasks:\n  - task: !node-workflow\n      name: sleep\n      concurrency_unit: node\n      node_tasks:\n        - task: !sleep\n            seconds: ${s}\n`;

describe('scylla-cp with --server', () => {
  it('runs, pauses, resumes and reports jobs through a server with the local exit codes', async () => {
    const tokens = path.join(dir, 'tokens.json');
    const t = fakeIo();
    expect(await main(['server', 'token', '--name', 'alice', '--role', 'operator', '--tokens', tokens], t.io)).toBe(0);
    const token = t.out().trim();
    expect(token).toMatch(/^scp_/);
    expect(fs.readFileSync(tokens, 'utf8')).not.toContain(token);
    const viewerIo = fakeIo();
    await main(['server', 'token', '--name', 'victor', '--role', 'viewer', '--tokens', tokens], viewerIo.io);
    const viewerToken = viewerIo.out().trim();

    // The server on a real PostgreSQL (the README's one command), in the foreground until "Ctrl-C".
    const pg = await PostgresServer.start();
    const s = fakeIo();
    const serverDone = main(['--db', pg.connectionString(), 'server', 'start', '--listen', '127.0.0.1:0', '--tokens', tokens, '--lease-ttl', '3'], s.io);
    let url = '';
    for (let i = 0; i < 200 && !url; i++) {
      url = /listening on (\S+)/.exec(s.out())?.[1] ?? '';
      if (!url) await new Promise((r) => setTimeout(r, 50));
    }
    expect(url, s.err()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s.out()).toContain('store postgres://');
    try {
      fs.writeFileSync(path.join(dir, 'wf.yaml'), sleepWorkflow(0.05));
      fs.writeFileSync(path.join(dir, 'inv.yaml'), inventory('c1', 3));
      const env = { SCYLLA_CP_SERVER: url, SCYLLA_CP_TOKEN: token };

      // A job that succeeds: exit 0, the events seen from the stream.
      const run = fakeIo(env);
      expect(await main(['run', 'wf.yaml', '-i', 'inv.yaml', '--yes'], run.io), run.err()).toBe(0);
      expect(run.out()).toMatch(/job (\S+) submitted/);
      expect(run.out()).toMatch(/succeeded/);
      const jobId = /job (\S+) submitted/.exec(run.out())![1]!;

      // Bad input: exit 2, the problem located in the local file.
      fs.writeFileSync(path.join(dir, 'bad.yaml'), sleepWorkflow(1).replace('seconds: 1', 'secs: 1'));
      const bad = fakeIo(env);
      expect(await main(['run', 'bad.yaml', '-i', 'inv.yaml', '--yes'], bad.io)).toBe(2);
      expect(bad.err()).toMatch(/bad\.yaml:\d+:\d+/);

      // A viewer token may look but not act (exit 1), and the job commands name who acted.
      const viewer = fakeIo({ SCYLLA_CP_SERVER: url, SCYLLA_CP_TOKEN: viewerToken });
      expect(await main(['run', 'wf.yaml', '-i', 'inv.yaml', '--yes'], viewer.io)).toBe(1);
      expect(viewer.err()).toMatch(/operator token/);
      const jobs = fakeIo({ SCYLLA_CP_SERVER: url, SCYLLA_CP_TOKEN: viewerToken });
      expect(await main(['jobs', '--json'], jobs.io), jobs.err()).toBe(0);
      expect(jobs.out()).toContain(jobId);

      // Ctrl-C during a remote run pauses the job on the server: exit 3, then resume: exit 0.
      fs.writeFileSync(path.join(dir, 'slow.yaml'), sleepWorkflow(0.4));
      fs.writeFileSync(path.join(dir, 'inv2.yaml'), inventory('c2', 5));
      const slow = fakeIo(env);
      const slowDone = main(['--server', url, 'run', 'slow.yaml', '-i', 'inv2.yaml', '--yes', '--json'], slow.io);
      for (let i = 0; i < 200 && !slow.out().includes('step.succeeded'); i++) await new Promise((r) => setTimeout(r, 25));
      slow.interrupt();
      expect(await slowDone, slow.err()).toBe(3);
      const slowId = JSON.parse(slow.out().split('\n').find((l) => l.startsWith('{'))!).jobId as string;
      const resumed = fakeIo(env);
      expect(await main(['resume', slowId, '--json'], resumed.io), resumed.err()).toBe(0);
      expect(resumed.out()).toContain('job.succeeded');
      const status = fakeIo(env);
      expect(await main(['status', slowId, '--json'], status.io)).toBe(0);
      expect(JSON.parse(status.out()).job.state).toBe('succeeded');
      const logs = fakeIo(env);
      expect(await main(['logs', slowId, '--json'], logs.io)).toBe(0);
      const types = logs.out().trim().split('\n').map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });
      expect(types.filter((e) => e.type.startsWith('api.')).map((e) => [e.type, e.data['caller']])).toEqual([
        ['api.submit', 'alice'],
        ['api.pause', 'alice'],
        ['api.resume', 'alice'],
      ]);

      // Unknown job: exit 2, as locally.
      const missing = fakeIo(env);
      expect(await main(['status', 'job-nope'], missing.io)).toBe(2);
    } finally {
      s.interrupt();
      expect(await serverDone).toBe(0);
      await pg.destroy();
    }
  }, 120_000);

  it('says how to create a token when the server has none', async () => {
    const s = fakeIo();
    // `server` alone is `server start`.
    expect(await main(['server', '--tokens', path.join(dir, 'none.json')], s.io)).toBe(2);
    expect(s.err()).toMatch(/scylla-cp server token --name/);
  });
});
