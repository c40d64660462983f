import { describe, expect, test } from 'vitest';
import { formatPlan, parseInventory, parseWorkflow, plan, workflowJsonSchema, WorkflowError } from '@scylla-cp/core';
import { standInRegistry } from './workflow-fixtures.js';

/** Issue 15 item 5 (language and plan part): workflow-level finally_tasks. */

const registry = standInRegistry();
const inventory = parseInventory('name: c\nnodes:\n  - {id: n1, address: 10.0.0.1, dc: d, rack: r}\n');
const WF = `name: w
variables:
  - {name: ks, type: string, default: app}
cluster_tasks:
  - task: !node-workflow {name: r, node_tasks: [{task: !scylla-drain}]}
finally_tasks:
  - task: !scylla-repair {keyspace: +ks+}
    retries: 3
  - task: !sleep {seconds: 1}
`;

describe('finally_tasks', () => {
  test('become finallySteps f0, f1 with variables and retry settings, and plan shows them', () => {
    const p = plan(parseWorkflow(WF, { registry }), inventory, {}, { ks: 'events' }, { registry });
    expect(p.finallySteps).toEqual([
      { kind: 'cluster-task', id: 'f0', task: { tag: 'scylla-repair', params: { keyspace: 'events' }, retries: 3, retryBackoff: { initialSeconds: 5, multiplier: 2, maxSeconds: 60 } } },
      { kind: 'cluster-task', id: 'f1', task: { tag: 'sleep', params: { seconds: 1 }, retries: 0, retryBackoff: { initialSeconds: 5, multiplier: 2, maxSeconds: 60 } } },
    ]);
    expect(p.steps.map((s) => s.id)).toEqual(['s0']);
    const text = formatPlan(p);
    expect(text).toContain('Finally, when the job ends in any way (succeeded, failed or cancelled), in order:');
    expect(text).toContain('   [f0] cluster task !scylla-repair {"keyspace":"events"} [retries 3 (backoff 5s x2, max 60s)]');
    expect(plan(parseWorkflow(WF.slice(0, WF.indexOf('finally_tasks')), { registry }), inventory, {}, {}, { registry }).finallySteps).toBeUndefined();
    expect((workflowJsonSchema(registry) as { properties: Record<string, unknown> }).properties.finally_tasks).toBeDefined();
  });

  test('node tasks and node workflows are refused there, with locations', () => {
    try {
      parseWorkflow(`${WF}  - task: !scylla-drain\n  - task: !node-workflow {name: x, node_tasks: [{task: !scylla-drain}]}\n`, { registry, fileName: 'f.yaml' });
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(WorkflowError);
      expect((e as WorkflowError).problems.map((p) => `${p.location?.line}:${p.location?.column} ${p.message}`)).toEqual([
        '10:11 !scylla-drain is a node task, not a cluster task',
        '11:11 finally_tasks holds cluster tasks only, not a !node-workflow',
      ]);
    }
  });
});
