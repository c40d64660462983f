import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadWorkflowFile, parseWorkflow, WorkflowError, type WorkflowProblem, type Workflow } from '@scylla-cp/core';
import { standInRegistry } from './workflow-fixtures.js';

const registry = standInRegistry();
const CANONICAL = readFileSync(new URL('../../../examples/workflows/drain-restart.yaml', import.meta.url), 'utf8');

function problemsOf(text: string, fileName = 'wf.yaml'): WorkflowProblem[] {
  try {
    parseWorkflow(text, { registry, fileName });
  } catch (e) {
    expect(e).toBeInstanceOf(WorkflowError);
    return [...(e as WorkflowError).problems];
  }
  throw new Error('expected a WorkflowError');
}

/** `line:column message` of each problem, for compact assertions. */
function brief(problems: WorkflowProblem[]): string[] {
  return problems.map((p) => `${p.location ? `${p.location.line}:${p.location.column}` : '-'} ${p.message}`);
}

const ok = (body: string) => `name: w\ncluster_tasks:\n${body}`;

describe('parseWorkflow: the canonical workflow', () => {
  test('examples/workflows/drain-restart.yaml parses with the stand-in plugins', () => {
    const wf = parseWorkflow(CANONICAL, { registry, fileName: 'drain-restart.yaml' });
    expect(wf.name).toBe('Drain and restart each node in the cluster');
    expect(wf.variables).toEqual([
      {
        name: 'compactions_nominal_timeout_seconds',
        type: 'integer',
        description: 'Seconds to wait for compactions to reach nominal levels',
        default: 90,
        location: { file: 'drain-restart.yaml', line: 3, column: 5 },
      },
    ]);
    expect(wf.nodeWorkflowDefaults).toEqual({});
    expect(wf.clusterTasks).toHaveLength(1);
    const nw = wf.clusterTasks[0]!;
    expect(nw.tag).toBe('node-workflow');
    expect(nw.location).toEqual({ file: 'drain-restart.yaml', line: 8, column: 11 });
    expect(nw.nodeTasks!.map((t) => t.tag)).toEqual(['scylla-drain', 'systemd-stop-scylla-server', 'systemd-start-service', 'wait-for-conditions']);
    expect(nw.nodeTasks![0]!.params).toEqual({});
    expect(nw.nodeTasks![2]!.params).toEqual({ service: 'scylla-server' });
    const wait = nw.nodeTasks![3]!.params as { conditions: { condition: { $tag: string; value: unknown; location: unknown }; timeout_seconds: unknown }[] };
    expect(wait.conditions[0]!.condition).toEqual({
      $tag: 'compactions-nominal',
      value: {},
      location: { file: 'drain-restart.yaml', line: 17, column: 28 },
    });
    // The reference stays in the workflow; plan() substitutes it.
    expect(wait.conditions[0]!.timeout_seconds).toBe('+compactions_nominal_timeout_seconds+');
    expect(wf.source).toEqual({ fileName: 'drain-restart.yaml', text: CANONICAL });
  });

  test('task entry settings and node_workflow_defaults are read', () => {
    const wf: Workflow = parseWorkflow(
      `name: w
description: d
node_workflow_defaults: {concurrency_unit: rack, concurrency_limit: 2, abort_on_first_failure: false}
cluster_tasks:
  - task: !scylla-repair {keyspace: ks}
    retries: 3
    retry_backoff: {initial_seconds: 1, max_seconds: 10}
    timeout_seconds: 600
`,
      { registry },
    );
    expect(wf.description).toBe('d');
    expect(wf.nodeWorkflowDefaults).toEqual({ concurrencyUnit: 'rack', concurrencyLimit: 2, abortOnFirstFailure: false });
    expect(wf.clusterTasks[0]).toMatchObject({ tag: 'scylla-repair', params: { keyspace: 'ks' }, retries: 3, retryBackoff: { initialSeconds: 1, maxSeconds: 10 }, timeoutSeconds: 600 });
    expect(wf.source.fileName).toBe('<workflow>');
  });
});

describe('parseWorkflow: every problem, located', () => {
  test('invalid YAML names the line and column', () => {
    const p = problemsOf('name: w\ncluster_tasks:\n  - task: [unclosed\n');
    expect(p.length).toBeGreaterThanOrEqual(1);
    expect(p[0]!.message).toMatch(/^invalid YAML: /);
    expect(p[0]!.location?.file).toBe('wf.yaml');
    expect(p[0]!.location?.line).toBeGreaterThanOrEqual(3);
    expect(p[0]!.hint).toBeTruthy();
  });

  test('an unclosed bracket is blamed on the bracket, not past the last line (SRE review: 8:1 in a 7-line file)', () => {
    const p = problemsOf('name: w\ncluster_tasks:\n  - task: !node-workflow\n      name: r\n      node_tasks: [\n        {task: !scylla-drain}\n      \n');
    expect(brief(p)).toEqual(['5:19 invalid YAML: this "[" is never closed (yaml: Flow sequence in block collection must be sufficiently indented and end with a ])']);
    expect(p[0]!.hint).toMatch(/close it with "\]"/);
    const m = problemsOf('name: {a: 1\ncluster_tasks: []\n');
    expect(brief(m)).toEqual(['1:7 invalid YAML: this "{" is never closed (yaml: Flow map in block collection must be sufficiently indented and end with a })']);
  });

  test('duplicate keys are reported with the first occurrence and a hint', () => {
    const p = problemsOf('name: w\nname: v\ncluster_tasks: []\n');
    expect(brief(p)).toEqual(['2:1 duplicate key "name" (first at line 1, column 1)']);
    expect(p[0]!.hint).toMatch(/each key may appear once/);
  });

  test('unknown tag, with did-you-mean from the registry', () => {
    const p = problemsOf(ok('  - task: !node-workflow\n      name: n\n      node_tasks:\n        - task: !scylla-drian\n'));
    expect(brief(p)).toEqual(['6:17 unknown node task tag !scylla-drian']);
    expect(p[0]!.hint).toBe('did you mean !scylla-drain?');
    expect(p[0]!.path).toBe('cluster_tasks[0].task.node_tasks[0].task');
  });

  test('an unknown tag with nothing close lists the registered ones', () => {
    const p = problemsOf(ok('  - task: !frobnicate\n'));
    expect(brief(p)).toEqual(['3:11 unknown cluster task tag !frobnicate']);
    expect(p[0]!.hint).toMatch(/^expected one of !approval, !node-workflow, !scylla-repair, !sleep, !wait-for-conditions; is the plugin/);
  });

  test('a tag of the wrong kind says where it belongs', () => {
    const p = problemsOf(ok('  - task: !scylla-drain\n  - task: !compactions-nominal\n'));
    expect(brief(p)).toEqual(['3:11 !scylla-drain is a node task, not a cluster task', '4:11 !compactions-nominal is a condition, not a cluster task']);
    expect(p[0]!.hint).toMatch(/node_tasks of a !node-workflow/);
    expect(p[1]!.hint).toMatch(/!wait-for-conditions/);
  });

  test('unknown keys are errors everywhere, with did-you-mean', () => {
    const p = problemsOf(`name: w
descripton: x
cluster_tasks:
  - task: !scylla-repair {keyspace: ks, paralel: 2}
    retrys: 1
    retry_backoff: {initial: 1}
  - task: !node-workflow
      name: n
      concurency_limit: 2
      node_tasks:
        - task: !wait-for-conditions
            conditions:
              - condition: !compactions-nominal {max_pendng: 1}
                timeout: 5
`);
    expect(brief(p)).toEqual([
      '2:1 unknown key "descripton" in (top level)',
      '4:41 !scylla-repair: unknown key "paralel"',
      '5:5 unknown key "retrys" in cluster_tasks[0]',
      '6:21 unknown key "initial" in cluster_tasks[0].retry_backoff',
      '9:7 !node-workflow: unknown key "concurency_limit"',
      '13:50 !compactions-nominal: unknown key "max_pendng"',
      '14:17 !wait-for-conditions: unknown key "timeout" in conditions[0]',
    ]);
    expect(p.map((x) => x.hint)).toEqual([
      'did you mean "description"?',
      'did you mean "parallel"?',
      'did you mean "retries"?',
      'did you mean "initial_seconds"?',
      'did you mean "concurrency_limit"?',
      'did you mean "max_pending"?',
      'did you mean "timeout_seconds"?',
    ]);
  });

  test('wrong types name what was expected and what was found', () => {
    const p = problemsOf(`name: 5
cluster_tasks:
  - task: !scylla-repair {keyspace: [a], parallel: many}
    retries: -1
    timeout_seconds: soon
`);
    expect(brief(p)).toEqual([
      '1:7 name: expected a string, got number 5',
      '3:37 !scylla-repair: keyspace: expected a string, got a list',
      '3:52 !scylla-repair: parallel: expected a number, got the string "many"',
      '4:14 cluster_tasks[0].retries: Too small: expected number to be >=0',
      '5:22 cluster_tasks[0].timeout_seconds: expected a number, got the string "soon"',
    ]);
  });

  test('missing parameters and missing top-level keys', () => {
    const p = problemsOf(`cluster_tasks:
  - task: !node-workflow
      name: n
      node_tasks:
        - task: !systemd-start-service
        - retries: 2
`);
    expect(brief(p)).toEqual([
      '1:1 missing required key "name" in (top level)',
      '5:17 !systemd-start-service: missing required key "service"',
      '6:11 !node-workflow: missing required key "task" in node_tasks[1]',
    ]);
    expect(p[1]!.hint).toBe('add "service:" with a string');
  });

  test('parameters that are not a mapping', () => {
    const p = problemsOf(ok('  - task: !sleep 5\n'));
    expect(brief(p)).toEqual(['3:18 !sleep: expected a mapping, got the string "5"']);
  });

  test('an empty cluster_tasks, an empty node_tasks, a non-mapping file', () => {
    expect(brief(problemsOf('name: w\ncluster_tasks: []\n'))).toEqual(['2:16 cluster_tasks: cluster_tasks needs at least one task']);
    expect(brief(problemsOf(ok('  - task: !node-workflow {name: n, node_tasks: []}\n')))).toEqual([
      '3:48 !node-workflow: node_tasks: node_tasks needs at least one task',
    ]);
    expect(brief(problemsOf('- just\n- a list\n'))).toEqual(['1:1 a workflow must be a YAML mapping with "name" and "cluster_tasks"']);
    expect(brief(problemsOf(''))[0]).toBe('1:1 workflow file is empty');
  });

  test('bad concurrency settings', () => {
    const p = problemsOf(`name: w
node_workflow_defaults: {concurrency_unit: zones}
cluster_tasks:
  - task: !node-workflow
      name: n
      concurrency_unit: rak
      concurrency_limit: 0
      node_tasks: [{task: !scylla-drain}]
  - task: !node-workflow {name: m, concurrency_limit: 1.5, node_tasks: [{task: !scylla-drain}]}
`);
    expect(brief(p)).toEqual([
      '2:44 node_workflow_defaults.concurrency_unit: the string "zones" is not allowed',
      '6:25 !node-workflow: concurrency_unit: the string "rak" is not allowed',
      '7:26 !node-workflow: concurrency_limit: concurrency_limit must be at least 1',
      '9:55 !node-workflow: concurrency_limit: expected an integer, got number 1.5',
    ]);
    expect(p[0]!.hint).toBe('did you mean "zone"?');
    expect(p[1]!.hint).toBe('did you mean "rack"?');
  });

  test('undefined variable references, whole and interpolated', () => {
    const p = problemsOf(`name: w
variables:
  - {name: keyspace, type: string}
cluster_tasks:
  - task: !scylla-repair {keyspace: +keyspce+}
  - task: !scylla-repair {keyspace: "ks_+suffix+"}
`);
    expect(brief(p)).toEqual(['5:37 variable +keyspce+ is not declared', '6:37 variable +suffix+ is not declared']);
    expect(p[0]!.hint).toBe('did you mean +keyspace+?');
  });

  test('bad variable declarations', () => {
    const p = problemsOf(`name: w
variables:
  - {name: 1bad, type: string}
  - {name: n, type: integr}
  - {name: d, type: integer, default: "ten"}
  - {name: d, type: string}
  - {name: l, type: string_list, default: [a, 1]}
  - {name: x, type: string, extra: 1}
cluster_tasks:
  - task: !sleep {seconds: 1}
`);
    expect(brief(p)).toEqual([
      '3:12 variables[0].name: a variable name is a letter or "_" followed by letters, digits or "_"',
      '4:21 variables[1].type: the string "integr" is not allowed',
      '5:39 default of variable "d" is "ten", which is not of type integer',
      '6:12 variable "d" is declared twice',
      '7:43 default of variable "l" is ["a",1], which is not of type string_list',
      '8:29 unknown key "extra" in variables[5]',
    ]);
    expect(p[1]!.hint).toBe('did you mean "integer"?');
  });

  test('a nested node condition at cluster level is refused', () => {
    const p = problemsOf(ok('  - task: !wait-for-conditions\n      conditions:\n        - condition: !compactions-nominal\n        - condition: !cluster-normal\n'));
    expect(brief(p)).toEqual(['5:22 condition !compactions-nominal checks one node, but this !wait-for-conditions runs at cluster level']);
  });

  test('node conditions and cluster conditions are both accepted inside a node workflow', () => {
    const wf = parseWorkflow(
      ok('  - task: !node-workflow\n      name: n\n      node_tasks:\n        - task: !wait-for-conditions {conditions: [{condition: !node-up}, {condition: !cluster-normal}]}\n'),
      { registry },
    );
    expect(wf.clusterTasks[0]!.nodeTasks![0]!.tag).toBe('wait-for-conditions');
  });

  test('a tag where a plain value belongs, and a plain value where a tag belongs', () => {
    const p = problemsOf(ok('  - task: !scylla-repair {keyspace: !upper ks}\n  - task: scylla-drain\n'));
    expect(brief(p)).toEqual([
      '3:37 !scylla-repair: keyspace: expected a string, got a tagged value !upper',
      '3:37 unknown condition tag !upper',
      '4:11 cluster_tasks[1].task: expected a task tag, got the string "scylla-drain"',
    ]);
  });

  test('a tagged value where a plain mapping belongs is one clear problem', () => {
    const p = problemsOf(ok('  - task: !sleep {seconds: 1}\n    retry_backoff: !fast {initial_seconds: 1}\n  - task: !wait-for-conditions {conditions: [!node-up]}\n'));
    expect(brief(p)).toEqual([
      '4:20 cluster_tasks[0].retry_backoff: expected a mapping, got a tagged value !fast',
      '5:46 !wait-for-conditions: conditions[0]: expected a mapping, got a tagged value !node-up',
      '5:46 condition !node-up checks one node, but this !wait-for-conditions runs at cluster level',
    ]);
    expect(p[0]!.hint).toBe('remove the tag: a plain mapping goes here');
    expect(p[1]!.hint).toBe('a condition entry is a mapping: write "- condition: !node-up"');
  });

  test('all problems are reported at once, sorted by location, and the message lists them', () => {
    try {
      parseWorkflow(ok('  - task: !scylla-repair {}\n    retrys: 1\n  - task: !nope\n'), { registry, fileName: 'f.yaml' });
      throw new Error('no error');
    } catch (e) {
      const err = e as WorkflowError;
      expect(err.code).toBe('INVALID_WORKFLOW');
      expect(brief([...err.problems])).toEqual([
        '3:26 !scylla-repair: missing required key "keyspace"',
        '4:5 unknown key "retrys" in cluster_tasks[0]',
        '5:11 unknown cluster task tag !nope',
      ]);
      expect(err.message.split('\n')[0]).toBe('invalid workflow: 3 problems');
      expect(err.message).toContain('f.yaml:4:5: unknown key "retrys" in cluster_tasks[0] (hint: did you mean "retries"?)');
    }
  });
});

describe('parseWorkflow: hostile input is refused, never hangs or crashes', () => {
  test('an alias bomb', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}]`);
    const p = problemsOf(`${lines.join('\n')}\nname: w\ncluster_tasks: []\n`);
    expect(p).toHaveLength(1);
    expect(p[0]!.message).toMatch(/uses more than 100 aliases|expands to more than 100000 values/);
  });

  test('many aliases to a small anchor exceed the alias count', () => {
    const refs = Array.from({ length: 101 }, () => '*a').join(', ');
    const p = problemsOf(`x: &a 1\ny: [${refs}]\nname: w\ncluster_tasks: []\n`);
    expect(brief(p)).toEqual(['2:405 workflow file uses more than 100 aliases']);
  });

  test('a few aliases are fine', () => {
    const wf = parseWorkflow('name: &n w\ndescription: *n\ncluster_tasks:\n  - task: !sleep {seconds: 1}\n', { registry });
    expect(wf.description).toBe('w');
  });

  test('deep nesting (flow and block) is refused before it reaches the YAML composer, at the place it went too deep', () => {
    const cases: [string, string][] = [
      ['['.repeat(100_000) + ']'.repeat(100_000), '1:65'],
      [Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' 1\n', '65:65'],
      ['- '.repeat(5000) + 'x\n', '1:129'],
    ];
    for (const [text, at] of cases) {
      const p = problemsOf(text);
      expect(brief(p)).toEqual([`${at} workflow file wf.yaml nests mappings and sequences more than 64 levels deep`]);
    }
  });

  test('an oversized file is refused', () => {
    const p = problemsOf(`name: w\ndescription: "${'x'.repeat(1024 * 1024)}"\ncluster_tasks: []\n`);
    expect(p).toHaveLength(1);
    expect(p[0]!.message).toBe('workflow file wf.yaml is 1048618 bytes, larger than the 1048576-byte limit');
  });

  test('a mapping with very many keys is checked in linear time, and the error lists at most 100 problems', () => {
    // yaml's own duplicate-key check is quadratic: 20,000 keys took minutes with it.
    const keys = Array.from({ length: 20_000 }, (_, i) => `k${i % 10_000}: 1`).join('\n');
    // 20,000 keys are over a workflow's token budget: raise it to reach the duplicate-key check.
    let p: WorkflowProblem[] = [];
    try {
      parseWorkflow(`${keys}\nname: w\ncluster_tasks: []\n`, { registry, fileName: 'wf.yaml', limits: { maxTokens: 200_000 } });
    } catch (e) {
      p = [...(e as WorkflowError).problems];
    }
    expect(p).toHaveLength(101);
    expect(brief(p.slice(0, 1))).toEqual(['10001:1 duplicate key "k0" (first at line 1, column 1)']);
    expect(p[100]!.message).toBe('... and 9900 more problems');
  });

  test('limits can be tightened', () => {
    expect(() => parseWorkflow(CANONICAL, { registry, limits: { maxDepth: 3 } })).toThrow(/more than 3 levels deep/);
    expect(() => parseWorkflow(CANONICAL, { registry, limits: { maxBytes: 100 } })).toThrow(/larger than the 100-byte limit/);
  });

  test('several YAML documents in one file are refused', () => {
    expect(brief(problemsOf('name: w\ncluster_tasks: []\n---\nname: v\n'))).toEqual(['3:1 workflow file holds 2 YAML documents; expected exactly one']);
  });

  test('a __proto__ key is just an unknown key', () => {
    const p = problemsOf(ok('  - task: !sleep {seconds: 1, __proto__: {polluted: true}}\n'));
    expect(brief(p)).toEqual(['3:31 !sleep: unknown key "__proto__"']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('loadWorkflowFile', () => {
  test('reads and parses a file, naming it in locations', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scp-wf-'));
    const path = join(dir, 'w.yaml');
    writeFileSync(path, ok('  - task: !nope\n'));
    expect(() => loadWorkflowFile(path, { registry })).toThrow(`${path}:3:11: unknown cluster task tag !nope`);
    writeFileSync(path, CANONICAL);
    expect(loadWorkflowFile(path, { registry }).source.fileName).toBe(path);
  });

  test('a missing file is a WorkflowError naming the path', () => {
    expect(() => loadWorkflowFile('/nonexistent/w.yaml', { registry })).toThrow(WorkflowError);
    expect(() => loadWorkflowFile('/nonexistent/w.yaml', { registry })).toThrow(/cannot read workflow file \/nonexistent\/w.yaml/);
  });
});

describe('parseWorkflow: plugins that forgot .strict()', () => {
  test('unknown keys that a plain z.object would strip are still errors', async () => {
    const { z } = await import('zod');
    const { definePlugin, PluginRegistry, corePlugin } = await import('@scylla-cp/core');
    const loose = definePlugin({
      name: 'loose',
      version: '1.0.0',
      clusterTasks: {
        'loose-task': {
          description: 'non-strict schema',
          params: z.object({ keyspace: z.string(), options: z.object({ level: z.int() }).optional(), passthrough: z.looseObject({}).optional() }),
          create: () => ({ name: () => 'loose', preconditions: () => [], execute: async () => undefined }),
        },
      },
    });
    const reg = new PluginRegistry().register(corePlugin, loose);
    try {
      parseWorkflow('name: w\ncluster_tasks:\n  - task: !loose-task {keyspace: k, keyspce: x, options: {levle: 1, level: 2}, passthrough: {anything: 1}}\n', {
        registry: reg,
        fileName: 'l.yaml',
      });
      throw new Error('no error');
    } catch (e) {
      expect(brief([...(e as WorkflowError).problems])).toEqual([
        '3:37 !loose-task: unknown key "keyspce"',
        '3:59 !loose-task: unknown key "levle" in options',
      ]);
      expect((e as WorkflowError).problems.map((p) => p.hint)).toEqual(['did you mean "keyspace"?', 'did you mean "level"?']);
    }
  });
});
