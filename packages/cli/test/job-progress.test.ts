// The live view's model and rendering, and the CLI's small parsers (pure; no build needed).
import { describe, expect, it } from 'vitest';
import type { JobPlan, StepRecord } from '@scylla-cp/core';
import { makeColors } from '../src/colors.js';
import { parseSince } from '../src/commands/job-events.js';
import { editorSettings } from '../src/commands/schema-settings.js';
import { parseNotifySpec } from '../src/notify-spec.js';
import { JobProgress } from '../src/progress/job-progress.js';
import { renderLiveView } from '../src/progress/live-render.js';
import { buildRegistry } from '../src/runtime.js';

const task = (tag: string) => ({ tag, params: {}, retries: 0, retryBackoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 10 } });
const PLAN: JobPlan = {
  formatVersion: 1,
  workflowName: 'wf',
  cluster: 'c1',
  inventory: { name: 'c1', nodes: [], connection: {} } as unknown as JobPlan['inventory'],
  targeting: {},
  variables: {},
  steps: [
    {
      kind: 'node-workflow',
      id: 's0',
      name: 'restart',
      concurrencyUnit: 'zone',
      concurrencyLimit: 1,
      abortOnFirstFailure: true,
      tasks: [task('scylla-drain'), task('wait-for-conditions')],
      batches: [
        { id: 's0/b0', unit: 'z1', nodes: ['a', 'b'] },
        { id: 's0/b1', unit: 'z2', nodes: ['c', 'd'] },
      ],
    },
  ],
} as JobPlan;
const rec = (stepId: string, state: StepRecord['state'], startedAt: number, finishedAt?: number): StepRecord => ({
  jobId: 'j',
  stepId,
  nodeId: stepId.split('/')[1]!,
  state,
  attempts: 1,
  startedAt,
  ...(finishedAt !== undefined ? { finishedAt } : {}),
});
const plain = makeColors(false);

describe('JobProgress', () => {
  it('starts from stored records (a resume), counts per zone and overall, and estimates the rest from finished nodes', () => {
    const p = new JobProgress(PLAN);
    p.applyRecords([rec('s0/a/t0', 'succeeded', 0, 10_000), rec('s0/a/t1', 'succeeded', 10_000, 60_000), rec('s0/b/t0', 'running', 60_000)]);
    expect(p.summary()).toMatchObject({ nodesDone: 1, nodesTotal: 4, stepsDone: 2, stepsTotal: 8, runningNodes: 1 });
    const [z1, z2] = p.batches();
    expect(z1).toMatchObject({ nodesDone: 1, stepsDone: 2, stepsTotal: 4 });
    expect(z2).toMatchObject({ nodesDone: 0, stepsDone: 0 });
    // mean 60 s per node; z1: b has run 20 s of its 60; z2: two nodes one at a time
    const eta = p.eta(80_000);
    expect(eta.remainingMs).toBe(60_000 - 20_000 + 2 * 60_000);
    expect(eta.basis).toBe('mean 1m00s per node over 1 finished node(s), 1 at a time per zone');
    expect(new JobProgress(PLAN).eta(0)).toEqual({ basis: 'known after the first node finishes' });
  });

  it('renders elapsed, step i/n by name, attempt, the holding countdown between polls, and the last error', () => {
    const p = new JobProgress(PLAN);
    p.applyRecords([rec('s0/a/t0', 'succeeded', 0, 1_000)]);
    p.onStep({ jobId: 'j', at: 1_000, stepId: 's0/a/t1', nodeId: 'a', task: 'wait-for-conditions', state: 'running', attempt: 2 });
    p.onRetry({ jobId: 'j', at: 900, stepId: 's0/a/t1', nodeId: 'a', task: 'wait-for-conditions', attempt: 1, delayMs: 100, error: { name: 'RecoverableError', message: 'HTTP 503', classification: 'recoverable' } as never });
    p.onPoll({ jobId: 'j', at: 10_000, stepId: 's0/a/t1', nodeId: 'a', task: 'wait-for-conditions', condition: 'compactions-nominal', ok: true, heldSeconds: 12, successWindowSeconds: 20, detail: 'pending 0', passed: false } as never);
    const lines = renderLiveView(p, { now: 13_500, startedAt: 0, state: 'RUNNING', colors: plain, width: 200 });
    const text = lines.join('\n');
    expect(lines[0]).toBe('wf on c1  RUNNING  elapsed 14s');
    expect(text).toMatch(/overall \[#+\.+\] nodes 0\/4, steps 1\/8 +ETA: known after the first node finishes/);
    expect(text).toMatch(/ {2}a {2}step 2\/2 wait-for-conditions {2}attempt 2 {2}14s/);
    expect(text).toContain('compactions-nominal holding 15/20s: pending 0'); // 12 s at the poll + 3.5 s since
    expect(text).toMatch(/last error \S+ a !wait-for-conditions attempt 1: HTTP 503/);
    expect(text).not.toMatch(/\u001b\[/);
    expect(renderLiveView(p, { now: 13_500, startedAt: 0, state: 'RUNNING', colors: makeColors(true) }).join('\n')).toMatch(/\u001b\[/);
  });
});

describe('parsers', () => {
  it('notify targets: env and file references are kept as references, never the URL', () => {
    const s = parseNotifySpec('discord:env:HOOK', { HOOK: 'https://discord.com/api/webhooks/1/tok' }, '/');
    expect(s).toEqual({ kind: 'discord', url: 'https://discord.com/api/webhooks/1/tok', reference: 'discord:env:HOOK' });
    expect(() => parseNotifySpec('discord:env:HOOK', {}, '/')).toThrow(/HOOK is not set/);
    expect(() => parseNotifySpec('slack:file:/no/such/file', {}, '/')).toThrow(/slack:file:\/no\/such\/file: cannot read the file \(ENOENT\)/);
    expect(parseNotifySpec('webhook:https://x.example/h', {}, '/').reference).toBeUndefined();
  });

  it('--since: durations and ISO times', () => {
    expect(parseSince('90s', 100_000)).toBe(10_000);
    expect(parseSince('2h', 10_000_000)).toBe(10_000_000 - 7_200_000);
    expect(parseSince('2026-01-01T00:00:00Z', 0)).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(() => parseSince('yesterday', 0)).toThrow(/--since yesterday/);
  });

  it('schema --vscode declares every registered tag as a custom tag', async () => {
    const registry = await buildRegistry({ plugins: [], notify: [], notify_on_success: false }, process.cwd());
    const s = editorSettings(registry, 'x.json') as { 'yaml.customTags': string[] };
    for (const t of ['scylla-drain', 'wait-for-conditions', 'compactions-nominal', 'quorum-safe', 'node-workflow']) {
      expect(s['yaml.customTags']).toContain(`!${t} mapping`);
      expect(s['yaml.customTags']).toContain(`!${t} scalar`);
    }
  });
});
