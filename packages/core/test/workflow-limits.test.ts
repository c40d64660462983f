import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadWorkflowFile, MAX_DURATION_SECONDS, parseWorkflow, plan, parseInventory, WorkflowError, type NodeWorkflowStep, type WorkflowProblem } from '@scylla-cp/core';
import { standInRegistry } from './workflow-fixtures.js';

/** Issue 12: durations bounded, impossible waits refused, pathological files refused fast, all with locations. */

const registry = standInRegistry();

function problemsOf(text: string, fileName = 'wf.yaml'): WorkflowProblem[] {
  try {
    parseWorkflow(text, { registry, fileName });
  } catch (e) {
    expect(e).toBeInstanceOf(WorkflowError);
    return [...(e as WorkflowError).problems];
  }
  throw new Error('expected a WorkflowError');
}

const brief = (problems: WorkflowProblem[]) => problems.map((p) => `${p.location ? `${p.location.line}:${p.location.column}` : '-'} ${p.message}`);

const nodeWf = (tasks: string, vars = '') => `name: w
${vars}cluster_tasks:
  - task: !node-workflow
      name: n
      node_tasks:
${tasks}`;

const wait = (timing: string) => `        - task: !wait-for-conditions
            conditions:
              - condition: !compactions-nominal
${timing}`;

const INVENTORY = parseInventory('name: c\nnodes:\n  - {id: n1, address: 10.0.0.1, dc: d, rack: r}\n');

describe('durations are bounded sanely (issue 12)', () => {
  test('values past 2^31-1 ms are accepted up to 30 days', () => {
    expect(MAX_DURATION_SECONDS).toBe(2_592_000);
    const wf = parseWorkflow(
      nodeWf(`        - task: !sleep {seconds: 2200000}
          timeout_seconds: 2200000
          retry_backoff: {initial_seconds: 2200000, max_seconds: 2592000}
${wait('                timeout_seconds: 2592000\n                success_window_seconds: 2200000\n')}`),
      { registry },
    );
    const p = plan(wf, INVENTORY, {}, {}, { registry });
    expect((p.steps[0] as NodeWorkflowStep).tasks[0]).toMatchObject({ timeoutSeconds: 2_200_000, params: { seconds: 2_200_000 } });
  });

  test('every duration beyond 30 days or below its minimum is an error at its key, with a hint', () => {
    const p = problemsOf(
      nodeWf(`        - task: !sleep {seconds: 2592001}
          timeout_seconds: 1e12
          retry_backoff: {initial_seconds: 0, max_seconds: 99999999}
          abandon_grace_seconds: 2592001
${wait('                poll_interval_seconds: 0\n                timeout_seconds: 2592001\n')}`),
    );
    expect(brief(p)).toEqual([
      '6:34 !sleep: seconds: a duration is at most 2592000 seconds (30 days); was it written in milliseconds?',
      '7:28 !node-workflow: node_tasks[0].timeout_seconds: a duration is at most 2592000 seconds (30 days); was it written in milliseconds?',
      '8:44 !node-workflow: node_tasks[0].retry_backoff.initial_seconds: a duration must be greater than 0 seconds',
      '8:60 !node-workflow: node_tasks[0].retry_backoff.max_seconds: a duration is at most 2592000 seconds (30 days); was it written in milliseconds?',
      '9:34 !node-workflow: node_tasks[0].abandon_grace_seconds: a duration is at most 2592000 seconds (30 days); was it written in milliseconds?',
      '13:40 !wait-for-conditions: conditions[0].poll_interval_seconds: a duration must be greater than 0 seconds',
      '14:34 !wait-for-conditions: conditions[0].timeout_seconds: a duration is at most 2592000 seconds (30 days); was it written in milliseconds?',
    ]);
  });

  test('a duration given by a variable is checked with its value at plan time', () => {
    const wf = parseWorkflow(
      nodeWf(`        - task: !sleep {seconds: +s+}\n          timeout_seconds: +t+\n`, 'variables:\n  - {name: s, type: number}\n  - {name: t, type: number}\n'),
      { registry, fileName: 'v.yaml' },
    );
    expect(() => plan(wf, INVENTORY, {}, { s: '1', t: String(31 * 86400) }, { registry })).toThrow(/v\.yaml:6:11: .*node_tasks\.0\.timeout_seconds: a duration is at most 2592000 seconds/);
    expect(() => plan(wf, INVENTORY, {}, { s: '3000000', t: '5' }, { registry })).toThrow(/seconds: a duration is at most 2592000 seconds/);
  });
});

describe('a condition wait that can never pass is refused with its location (issue 12)', () => {
  test('success window not shorter than the timeout', () => {
    const p = problemsOf(nodeWf(wait('                success_window_seconds: 60\n                timeout_seconds: 60\n')));
    expect(brief(p)).toEqual([
      '9:17 !wait-for-conditions: conditions[0].success_window_seconds: success_window_seconds 60 is not shorter than timeout_seconds 60: the condition can never hold for its whole window before the wait times out',
    ]);
    expect(p[0]!.hint).toMatch(/window shorter than the timeout/);
  });

  test('a window longer than the default timeout (300) is blamed on the window', () => {
    const p = problemsOf(nodeWf(wait('                success_window_seconds: 400\n')));
    expect(brief(p)).toEqual([
      '9:17 !wait-for-conditions: conditions[0].success_window_seconds: success_window_seconds 400 is not shorter than timeout_seconds 300 (the default): the condition can never hold for its whole window before the wait times out',
    ]);
  });

  test('a poll interval longer than the timeout, also with the default interval', () => {
    expect(brief(problemsOf(nodeWf(wait('                poll_interval_seconds: 30\n                timeout_seconds: 10\n'))))).toEqual([
      '9:17 !wait-for-conditions: conditions[0].poll_interval_seconds: poll_interval_seconds 30 is longer than timeout_seconds 10: the condition would be checked only once',
    ]);
    expect(brief(problemsOf(nodeWf(wait('                timeout_seconds: 3\n'))))).toEqual([
      '9:17 !wait-for-conditions: conditions[0].timeout_seconds: poll_interval_seconds 5 (the default) is longer than timeout_seconds 3: the condition would be checked only once',
    ]);
  });

  test('waits that can pass are accepted: window < timeout, poll <= timeout, and the check-once timeout 0', () => {
    for (const timing of [
      '                success_window_seconds: 59\n                timeout_seconds: 60\n',
      '                poll_interval_seconds: 10\n                timeout_seconds: 10\n',
      '                timeout_seconds: 0\n',
      '',
    ]) {
      expect(() => parseWorkflow(nodeWf(wait(timing)), { registry })).not.toThrow();
    }
  });

  test('with a variable, the rule waits for the value and plan() applies it', () => {
    const wf = parseWorkflow(nodeWf(wait('                success_window_seconds: 20\n                timeout_seconds: +t+\n'), 'variables:\n  - {name: t, type: integer}\n'), {
      registry,
      fileName: 'v.yaml',
    });
    expect(() => plan(wf, INVENTORY, {}, { t: '60' }, { registry })).not.toThrow();
    expect(() => plan(wf, INVENTORY, {}, { t: '20' }, { registry })).toThrow(/v\.yaml:.*success_window_seconds 20 is not shorter than timeout_seconds 20/);
  });

  test('at cluster level too', () => {
    const p = problemsOf(`name: w
cluster_tasks:
  - task: !wait-for-conditions
      conditions:
        - condition: !cluster-normal
          poll_interval_seconds: 100
          timeout_seconds: 50
`);
    expect(brief(p)).toEqual([
      '6:11 !wait-for-conditions: conditions[0].poll_interval_seconds: poll_interval_seconds 100 is longer than timeout_seconds 50: the condition would be checked only once',
    ]);
  });
});

describe('pathological input is refused fast, with a location where one exists (issue 12)', () => {
  test('1 MB of "[" stops at the first bracket past the depth limit', () => {
    const p = problemsOf('['.repeat(1_000_000));
    expect(brief(p)).toEqual(['1:65 workflow file wf.yaml nests mappings and sequences more than 64 levels deep']);
  });

  test('1 MB of "{", of "- " and of "a: " too', () => {
    expect(brief(problemsOf('{'.repeat(1_000_000)))).toEqual(['1:65 workflow file wf.yaml nests mappings and sequences more than 64 levels deep']);
    expect(brief(problemsOf('- '.repeat(500_000)))).toEqual(['1:129 workflow file wf.yaml nests mappings and sequences more than 64 levels deep']);
    expect(brief(problemsOf('a: '.repeat(333_333)))).toEqual(['1:193 workflow file wf.yaml nests mappings and sequences more than 64 levels deep']);
  });

  test('deep block nesting over many lines names the line where it went too deep', () => {
    const text = Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' 1\n';
    expect(brief(problemsOf(text))).toEqual(['65:65 workflow file wf.yaml nests mappings and sequences more than 64 levels deep']);
  });

  test('a file of many small tokens is refused by a token budget counted before yaml parses it (1 MB of "," took 26 s)', () => {
    expect(brief(problemsOf(`[${','.repeat(1_000_000)}]`))).toEqual(['1:50001 workflow file wf.yaml holds more than 50000 YAML tokens']);
    expect(brief(problemsOf('a: 1\n'.repeat(200_000)))).toEqual(['12501:1 workflow file wf.yaml holds more than 50000 YAML tokens']);
    expect(brief(problemsOf('\n'.repeat(1_000_000)))).toEqual(['50001:1 workflow file wf.yaml holds more than 50000 YAML tokens']);
    expect(brief(problemsOf('&a '.repeat(300_000)))).toEqual(['1:150001 workflow file wf.yaml holds more than 50000 YAML tokens']);
    // The budget can be raised; the file is then judged on its content.
    expect(() => parseWorkflow(`[${','.repeat(60_000)}]`, { registry, limits: { maxTokens: 100_000 } })).toThrow(/invalid YAML: Unexpected , in flow sequence/);
  });

  test('brackets inside quoted strings and comments do not count', () => {
    const deep = '['.repeat(100);
    const wf = parseWorkflow(`name: "${deep}"\ndescription: '${deep}' # ${deep}\ncluster_tasks:\n  - task: !sleep {seconds: 1}\n`, { registry });
    expect(wf.name).toBe(deep);
  });

  test('an expansion bomb names the alias whose expansion went past the limit', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 6; i++) lines.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}]`);
    let p: WorkflowProblem[] = [];
    try {
      parseWorkflow(`${lines.join('\n')}\nname: w\ncluster_tasks: []\n`, { registry, fileName: 'wf.yaml', limits: { maxAliasCount: 1_000_000 } });
    } catch (e) {
      p = [...(e as WorkflowError).problems];
    }
    expect(brief(p)).toEqual(['5:45 workflow file expands to more than 100000 values (aliases expanded)']);
  });

  test('loadWorkflowFile refuses an oversized file from its size, before reading it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-limits-'));
    const path = join(dir, 'big.yaml');
    writeFileSync(path, `name: w\ndescription: "${'x'.repeat(2 * 1024 * 1024)}"\ncluster_tasks: []\n`);
    try {
      loadWorkflowFile(path, { registry, limits: { maxBytes: 1024 } });
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(WorkflowError);
      expect((e as WorkflowError).problems.map((p) => p.message)).toEqual([expect.stringMatching(new RegExp(`^workflow file ${path} is 20971\\d\\d bytes, larger than the 1024-byte limit$`))]);
      expect((e as WorkflowError).problems[0]!.location).toEqual({ file: path, line: 1, column: 1 });
    }
  });
});
