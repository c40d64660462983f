// The workflow and the inventory given the other way round: the error says so first, and how to
// call it (SRE review of the CLI, 2026-12-04: `plan inventory.yaml -i workflow.yaml` listed a
// missing "cluster_tasks" and unknown keys, but not the likely cause).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliIn } from './in-process-cli.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scylla-cp-swapped-'));
beforeAll(() => {
  fs.writeFileSync(path.join(dir, 'wf.yaml'), 'name: w\ncluster_tasks:\n  - task: !node-workflow\n      name: x\n      node_tasks:\n        - task: !sleep\n            seconds: 1\n');
  fs.writeFileSync(path.join(dir, 'inv.yaml'), 'name: c\nnodes:\n  - id: n1\n    address: 127.0.0.1\n    dc: dc1\n    rack: r1\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const HOW = 'hint: the workflow comes first and the inventory after -i: scylla-cp plan <workflow.yaml> -i <inventory.yaml>';

describe('workflow and inventory swapped', () => {
  it('plan inventory.yaml -i workflow.yaml: exit 2, the first problem names the likely swap and how to call it', async () => {
    const r = await cliIn(dir, ['plan', 'inv.yaml', '-i', 'wf.yaml']);
    expect(r.code).toBe(2);
    const first = r.err.split('\n')[1];
    expect(first).toBe(`  inv.yaml:1:1: this file was given as the workflow but looks like a cluster inventory (it has "nodes:") (${HOW})`);
    expect(r.err).toContain('missing required key "cluster_tasks"'); // the other problems are still listed
  });

  it('an inventory that is a workflow file: the first problem says so', async () => {
    const r = await cliIn(dir, ['plan', 'wf.yaml', '-i', 'wf.yaml']);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[1]).toBe(`  ${path.join(dir, 'wf.yaml')}:1:1: this file was given as the inventory but looks like a workflow (it has "cluster_tasks:") (${HOW})`);
  });

  it('files in the right order plan as before, and an unrelated error gets no such hint', async () => {
    expect((await cliIn(dir, ['plan', 'wf.yaml', '-i', 'inv.yaml'])).code).toBe(0);
    fs.writeFileSync(path.join(dir, 'typo.yaml'), 'name: w\ncluster_taks: []\n');
    const r = await cliIn(dir, ['validate', 'typo.yaml']);
    expect(r.code).toBe(2);
    expect(r.err).not.toContain('looks like');
  });
});
