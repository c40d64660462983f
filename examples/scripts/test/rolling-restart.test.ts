import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// This folder is CommonJS (so ts-node runs the script without an ESM loader); vitest provides __dirname.
const REPO = path.resolve(__dirname, '../../..');

function run(runner: 'ts-node' | 'tsx') {
  const r = spawnSync('npx', ['--no-install', runner, 'examples/scripts/rolling-restart.ts'], { cwd: REPO, encoding: 'utf8', timeout: 180_000 });
  if (r.error) throw r.error;
  return r;
}

describe('examples/scripts/rolling-restart.ts', () => {
  for (const runner of ['tsx', 'ts-node'] as const) {
    it(`runs with ${runner}: a rolling restart of the simulated cluster succeeds`, () => {
      const r = run(runner);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/job \S+: succeeded, 24 steps, 6 restarts seen by the simulator/);
    }, 200_000);
  }
});
