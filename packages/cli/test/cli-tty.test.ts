// The live view on a real terminal (tmux), the TTY confirmation, colors, and
// Ctrl-C through the documented `npx scylla-cp` invocation (issue 13).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, BIN, FAST_DRAIN_RESTART, REPO, startSim, storedSteps, tempHome } from './cli-harness.js';

const SOCKET = `scylla-cp-tty-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let home: ReturnType<typeof tempHome>;
let sim: Awaited<ReturnType<typeof startSim>>;
let inventory: string;
let workflowFile: string;

/** Starts `command` (run by bash) in a new 140x40 tmux window; its exit code goes to `<name>.code`. */
function start(name: string, command: string, env: NodeJS.ProcessEnv): string {
  const codeFile = path.join(home.dir, `${name}.code`);
  const exports = Object.entries(env)
    .map(([k, v]) => `export ${k}='${v}';`)
    .join(' ');
  tmux('new-session', '-d', '-s', name, '-x', '140', '-y', '40', 'bash', '-c', `unset CI NO_COLOR FORCE_COLOR; ${exports} cd '${REPO}'; ${command}; echo $? > '${codeFile}'; sleep 600`);
  return codeFile;
}
const capture = (name: string, escapes = false) => tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', name);
async function waitForScreen(name: string, re: RegExp, timeoutMs = 60_000): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const s = capture(name);
    if (re.test(s)) return s;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${re} on the screen:\n${s}`);
    await sleep(100);
  }
}
async function waitForCode(file: string, timeoutMs = 90_000): Promise<number> {
  const t0 = Date.now();
  while (!fs.existsSync(file) || fs.readFileSync(file, 'utf8').trim() === '') {
    if (Date.now() - t0 > timeoutMs) throw new Error(`no exit code in ${file}`);
    await sleep(100);
  }
  return Number(fs.readFileSync(file, 'utf8').trim());
}

beforeAll(async () => {
  assertBuilt();
  execFileSync('tmux', ['-V']); // fails loudly when tmux is missing
  home = tempHome();
  // a longer settle window so that the countdown is on screen for a while
  workflowFile = path.join(home.dir, 'drain-restart.yaml');
  fs.writeFileSync(workflowFile, FAST_DRAIN_RESTART.replace('success_window_seconds: 1', 'success_window_seconds: 4'));
  sim = await startSim('cli-tty');
  inventory = await sim.inventoryFile(home.dir);
});
afterAll(async () => {
  try {
    tmux('kill-server');
  } catch {
    // no server left
  }
  await sim?.stop();
  home?.cleanup();
});

describe('the live view on a terminal', () => {
  it('asks before starting; shows elapsed, ETA, zones, step i/n, attempt and a holding countdown; refreshes every second; Ctrl-C exits 3; resume starts from the stored counts', async () => {
    const code = start('run', `node '${BIN}' --no-color run '${workflowFile}' -i '${inventory}'`, home.env);
    await waitForScreen('run', /start this job on cli-tty\? \[y\/N\]/);
    expect(capture('run')).toMatch(/preflight: all \d+ checks passed/);
    tmux('send-keys', '-t', 'run', 'y', 'Enter');
    const screen = await waitForScreen('run', /holding \d+\/4s/);
    expect(screen).toMatch(/Fast drain and restart \(test\) on cli-tty +RUNNING +elapsed \d+s/);
    expect(screen).toMatch(/overall \[[#.]+\] nodes \d\/6, steps \d+\/24 +ETA/);
    expect(screen).toMatch(/zone rack1 +\[[#.]+\] nodes \d\/2, steps \d\/8/);
    expect(screen).toMatch(/dc1-rack\d-n\d +step 4\/4 wait-for-conditions +attempt 1/);
    // the view moves on its own between engine events: the elapsed time or the countdown
    const a = capture('run');
    await sleep(1500);
    const b = capture('run');
    const elapsed = (s: string) => /elapsed (\S+)/.exec(s)?.[1];
    expect(elapsed(b)).not.toEqual(elapsed(a));
    // after a node has finished, the ETA has a basis
    const withEta = await waitForScreen('run', /ETA \d+(m\d+)?s \(mean \d+s per node over \d finished node\(s\), 1 at a time per zone\)/);
    expect(capture('run', true)).not.toMatch(/\u001b\[3\dm/); // --no-color: no colors
    tmux('send-keys', '-t', 'run', 'C-c');
    expect(await waitForCode(code)).toBe(3);
    const final = capture('run');
    expect(final).toMatch(/resume it: scylla-cp resume (job-\S+)/);
    const jobId = /resume it: scylla-cp resume (job-\S+)/.exec(final)![1]!;
    expect(withEta).toBeTruthy();

    const done = (await storedSteps(home.db, jobId)).filter((s) => s.state === 'succeeded').length;
    expect(done).toBeGreaterThan(4);

    const resumeCode = start('resume', `node '${BIN}' resume ${jobId}`, home.env);
    // the first frame counts what was done before the pause
    const first = await waitForScreen('resume', /overall \[[#.]+\] nodes \d\/6, steps \d+\/24/);
    const shown = Number(/steps (\d+)\/24/.exec(first)![1]);
    expect(shown).toBeGreaterThanOrEqual(done);
    expect(capture('resume', true)).toMatch(/\u001b\[3\dm/); // colors on a terminal by default
    expect(await waitForCode(resumeCode)).toBe(0);
    expect(capture('resume')).toMatch(/nodes 6\/6, steps 24\/24/);
  }, 180_000);

  it('NO_COLOR turns colors off', async () => {
    const code = start('nocolor', `node '${BIN}' demo --speed 50`, { ...home.env, NO_COLOR: '1' });
    await waitForScreen('nocolor', /steps 24\/24/, 90_000);
    expect(await waitForCode(code)).toBe(0);
    expect(capture('nocolor', true)).not.toMatch(/\u001b\[(1|2|3\d)m/);
  }, 120_000);

  it('Ctrl-C through `npx scylla-cp` (the documented invocation) exits 3, not 130', async () => {
    const code = start('npx', `npx scylla-cp run '${workflowFile}' -i '${inventory}' --yes`, home.env);
    await waitForScreen('npx', /step \d\/4 \S+ +attempt 1/);
    tmux('send-keys', '-t', 'npx', 'C-c');
    expect(await waitForCode(code)).toBe(3);
    const screen = capture('npx');
    expect(screen).toMatch(/interrupt: pausing after the steps in flight finish/);
    expect(screen).not.toMatch(/second interrupt/); // npm's forwarded SIGINT is not a second Ctrl-C
    const id = /resume it: scylla-cp resume (job-\S+)/.exec(screen)![1]!;
    const resumeCode = start('npx-resume', `npx scylla-cp resume ${id}`, home.env);
    expect(await waitForCode(resumeCode)).toBe(0);
  }, 180_000);
});
