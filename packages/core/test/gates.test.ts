import { describe, expect, test } from 'vitest';
import { formatPlan, parseInventory, parseWorkflow, plan, plannedPreconditionChecks, workflowJsonSchema, WorkflowError, type NodeWorkflowStep } from '@scylla-cp/core';
import { standInRegistry } from './workflow-fixtures.js';

/** Issue 15: a workflow-level `gates:` list, checked before every node task. */

const registry = standInRegistry();
const INVENTORY = parseInventory('name: c\nnodes:\n  - {id: n1, address: 10.0.0.1, dc: d, rack: r}\n  - {id: n2, address: 10.0.0.2, dc: d, rack: r}\n');

const WF = `name: gated
variables:
  - {name: gate_timeout, type: integer, default: 600}
gates:
  - condition: !cluster-normal
    poll_interval_seconds: 10
    timeout_seconds: +gate_timeout+
  - condition: !compactions-nominal {max_pending: 5}
cluster_tasks:
  - task: !scylla-repair {keyspace: ks}
  - task: !node-workflow
      name: restart
      node_tasks:
        - task: !scylla-drain
        - task: !systemd-stop-scylla-server
`;

function problems(text: string): string[] {
  try {
    parseWorkflow(text, { registry, fileName: 'g.yaml' });
  } catch (e) {
    expect(e).toBeInstanceOf(WorkflowError);
    return (e as WorkflowError).problems.map((p) => `${p.location?.line}:${p.location?.column} ${p.message}${p.hint ? ` (${p.hint})` : ''}`);
  }
  throw new Error('accepted');
}

describe('workflow gates (issue 15)', () => {
  test('every node task gets the gates as preconditions, in order, variables substituted; cluster tasks do not', () => {
    const wf = parseWorkflow(WF, { registry, fileName: 'g.yaml' });
    expect(wf.gates.map((g) => g.condition.$tag)).toEqual(['cluster-normal', 'compactions-nominal']);
    const p = plan(wf, INVENTORY, {}, { gate_timeout: '900' }, { registry });
    const expected = [
      { condition: { $tag: 'cluster-normal', value: {} }, pollIntervalSeconds: 10, timeoutSeconds: 900 },
      { condition: { $tag: 'compactions-nominal', value: { max_pending: 5 } } },
    ];
    const step = p.steps[1] as NodeWorkflowStep;
    expect(step.tasks.map((t) => t.preconditions)).toEqual([expected, expected]);
    expect(p.steps[0]!.kind === 'cluster-task' && p.steps[0]!.task.preconditions).toBeFalsy();
    expect(formatPlan(p)).toContain('t0. !scylla-drain (first waits for "!cluster-normal", "!compactions-nominal {\\"max_pending\\":5}")');
    const checks = plannedPreconditionChecks(step.tasks[1]!, registry);
    expect(checks.map((c) => [c.condition.name(), c.successWindowSeconds, c.pollIntervalSeconds, c.timeoutSeconds])).toEqual([
      ['cluster-normal', 0, 10, 900],
      ['compactions-nominal', 0, 5, 300],
    ]);
  });

  test('a gate whose timing can never pass is refused, at parse time and at plan time for a variable', () => {
    expect(problems(WF.replace('    poll_interval_seconds: 10\n', '    success_window_seconds: 900\n'))).toEqual([
      '6:5 gates[0].success_window_seconds: success_window_seconds 900 is not shorter than timeout_seconds 600: the condition can never hold for its whole window before the wait times out (change the timing so that the wait can pass: a window shorter than the timeout, polls more often than the timeout)',
    ]);
    const wf = parseWorkflow(WF, { registry, fileName: 'g.yaml' });
    expect(() => plan(wf, INVENTORY, {}, { gate_timeout: '5' }, { registry })).toThrow(
      /g\.yaml:5:5: gate !cluster-normal: .*poll_interval_seconds 10 is longer than timeout_seconds 5/,
    );
  });

  test('unknown condition (did you mean), a task where a condition belongs, unknown keys, bad parameters', () => {
    const bad = WF.replace('!cluster-normal', '!cluster-normall').replace('{max_pending: 5}', '{max_pend: 5}').replace('    poll_interval_seconds: 10', '    poll_interval: 10');
    expect(problems(bad)).toEqual([
      '5:16 unknown condition tag !cluster-normall (did you mean !cluster-normal?)',
      '6:5 unknown key "poll_interval" in gates[0] (did you mean "poll_interval_seconds"?)',
      '8:38 !compactions-nominal: unknown key "max_pend" (did you mean "max_pending"?)',
    ]);
    expect(problems(WF.replace('!cluster-normal', '!scylla-drain'))[0]).toMatch(/^5:16 !scylla-drain is a node task, not a condition/);
  });

  test('the JSON Schema knows gates', () => {
    const schema = workflowJsonSchema(registry) as { properties: Record<string, { type?: string }> };
    expect(schema.properties.gates?.type).toBe('array');
  });
});
