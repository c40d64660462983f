import { describe, expect, test } from 'vitest';
import { formatPlan, parseInventory, parseWorkflow, plan, planJob, type NodeRoleProvider, type NodeWorkflowStep } from '@scylla-cp/core';
import { standInRegistry } from './workflow-fixtures.js';

/** Issue 15 item 6 (plan part): order: role_aware, unhealthy targets first and the group0 leader last. */

const registry = standInRegistry();
const inventory = parseInventory(`name: c
nodes:
  - {id: a1, address: 10.0.0.1, dc: d, rack: ra}
  - {id: a2, address: 10.0.0.2, dc: d, rack: ra}
  - {id: b1, address: 10.0.0.3, dc: d, rack: rb}
  - {id: b2, address: 10.0.0.4, dc: d, rack: rb}
  - {id: c1, address: 10.0.0.5, dc: d, rack: rc}
  - {id: c2, address: 10.0.0.6, dc: d, rack: rc}
`);
const wf = (order: string, limit = 1) =>
  parseWorkflow(`name: w\ncluster_tasks:\n  - task: !node-workflow {name: r, ${order}concurrency_limit: ${limit}, node_tasks: [{task: !scylla-drain}]}\n`, { registry, fileName: 'w.yaml' });

describe('order: role_aware', () => {
  test('the zone holding the leader goes last and the leader last in it; an unhealthy node and its zone first', () => {
    const p = plan(wf('order: role_aware, '), inventory, {}, {}, { registry, roles: { unhealthy: ['c2'], leader: 'a1', source: 'seen from b1' } });
    const s = p.steps[0] as NodeWorkflowStep;
    expect(s.batches.map((b) => [b.id, b.unit, b.nodes])).toEqual([
      ['s0/b0', 'rc', ['c2', 'c1']],
      ['s0/b1', 'rb', ['b1', 'b2']],
      ['s0/b2', 'ra', ['a2', 'a1']],
    ]);
    expect(s.batches[0]!.reason).toBe('unhealthy first: c2');
    expect(s.batches[2]!.reason).toBe('group0 leader last: a1');
    expect(s.roles).toEqual({ unhealthy: ['c2'], leader: 'a1', source: 'seen from b1' });
    const text = formatPlan(p);
    expect(text).toContain('role-aware order: unhealthy first (c2), group0 leader last (a1), seen from b1');
    expect(text).toContain('why: group0 leader last: a1');
  });

  test('the default order ignores roles; role_aware without roles is ROLES_REQUIRED', () => {
    const p = plan(wf(''), inventory, {}, {}, { registry, roles: { unhealthy: ['c2'], leader: 'a1' } });
    expect((p.steps[0] as NodeWorkflowStep).batches.map((b) => b.nodes)).toEqual([['a1', 'a2'], ['b1', 'b2'], ['c1', 'c2']]);
    expect(() => plan(wf('order: role_aware, '), inventory, {}, {}, { registry })).toThrow(expect.objectContaining({ code: 'ROLES_REQUIRED' }));
    expect(() => wf('order: leader_last, ')).toThrow(/order: the string "leader_last" is not allowed/);
  });

  test('planJob asks the role provider once, only when a node workflow needs it', async () => {
    let calls = 0;
    const roleProvider: NodeRoleProvider = { roles: async () => (calls++, { unhealthy: [], leader: 'b2' }) };
    const p = await planJob(wf('order: role_aware, '), inventory, {}, {}, { registry, roleProvider });
    expect(calls).toBe(1);
    expect((p.steps[0] as NodeWorkflowStep).batches.map((b) => b.nodes)).toEqual([['a1', 'a2'], ['c1', 'c2'], ['b1', 'b2']]);
    await planJob(wf(''), inventory, {}, {}, { registry, roleProvider });
    expect(calls).toBe(1);
  });
});
