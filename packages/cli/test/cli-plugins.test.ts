import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRAIN_RESTART_WORKFLOW } from '../src/demo/drain-restart-workflow.js';
import { assertBuilt, REPO, runCli, tempHome } from './cli-harness.js';

let home: ReturnType<typeof tempHome>;
let projectDir: string;

beforeAll(() => {
  assertBuilt();
  if (!fs.existsSync(path.join(REPO, 'examples/plugin-example/dist/index.js'))) {
    throw new Error('examples/plugin-example is not built: run `npm run build` first (`npm test` does)');
  }
  home = tempHome();
  // A project folder inside the repository, so the config's package names resolve
  // through the repository's node_modules, as they would in an operator's project.
  projectDir = fs.mkdtempSync(path.join(REPO, 'packages/cli/test/.tmp-project-'));
});
afterAll(() => {
  home.cleanup();
  fs.rmSync(projectDir, { recursive: true, force: true });
});

const USES_PLUGIN = `name: Banner then restart
cluster_tasks:
  - task: !node-workflow
      name: banner
      node_tasks:
        - task: !maintenance-banner
            text: rolling restart in progress
        - task: !wait-for-conditions
            conditions:
              - condition: !scylla-uptime-at-least
                  seconds: 60
`;

describe('plugins from the config file', () => {
  it('without the config the example tags are unknown; with it the workflow validates', async () => {
    const wf = path.join(projectDir, 'banner.yaml');
    fs.writeFileSync(wf, USES_PLUGIN);
    const before = await runCli(['validate', wf], home.env, projectDir);
    expect(before.code).toBe(2);
    expect(before.stderr).toMatch(/unknown node task tag !maintenance-banner/);

    fs.writeFileSync(path.join(projectDir, 'scylla-cp.config.json'), JSON.stringify({ plugins: ['scylla-cp-plugin-example'] }));
    const after = await runCli(['validate', wf], home.env, projectDir);
    expect(after.code, after.stderr).toBe(0);
    const schema = await runCli(['schema'], home.env, projectDir);
    expect(schema.stdout).toContain('maintenance-banner');
  });

  it('a plugin loaded twice, a missing package and a malformed config are clear errors (exit 2)', async () => {
    const dir = fs.mkdtempSync(path.join(projectDir, 'case-'));
    const wf = path.join(dir, 'w.yaml');
    fs.writeFileSync(wf, USES_PLUGIN);
    fs.writeFileSync(path.join(dir, 'scylla-cp.config.json'), JSON.stringify({ plugins: ['scylla-cp-plugin-example', path.join(REPO, 'examples/plugin-example')] }));
    const dup = await runCli(['validate', wf], home.env, dir);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/scylla-cp-plugin-example is registered twice/);

    fs.writeFileSync(path.join(dir, 'scylla-cp.config.json'), JSON.stringify({ plugins: ['scylla-cp-plugin-that-does-not-exist'] }));
    const missing = await runCli(['validate', wf], home.env, dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/plugin "scylla-cp-plugin-that-does-not-exist" cannot be found/);

    fs.writeFileSync(path.join(dir, 'scylla-cp.config.json'), JSON.stringify({ plugin: ['x'] }));
    const bad = await runCli(['validate', wf], home.env, dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/scylla-cp\.config\.json.*plugin/);
  });
});

describe('demo', () => {
  it('embeds the canonical workflow byte for byte', () => {
    expect(DRAIN_RESTART_WORKFLOW).toBe(fs.readFileSync(path.join(REPO, 'examples/workflows/drain-restart.yaml'), 'utf8'));
  });
});
