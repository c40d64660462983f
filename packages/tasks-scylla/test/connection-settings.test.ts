import { describe, expect, it } from 'vitest';
import { corePlugin, InventoryError, parseInventory, parseWorkflow, plan, PluginRegistry, WorkflowError, type WorkflowProblem } from '@scylla-cp/core';
import { prometheusPlugin } from '@scylla-cp/conditions';
import { scyllaPlugin } from '../src/index.js';

/** Issue 12: connection settings are validated when the job is planned, not on node 1 mid-job. */

const registry = new PluginRegistry().register(corePlugin, scyllaPlugin, prometheusPlugin);
const workflow = parseWorkflow('name: w\ncluster_tasks:\n  - task: !node-workflow {name: d, node_tasks: [{task: !scylla-drain}]}\n', { registry });

function planProblems(inventoryYaml: string): WorkflowProblem[] {
  const inventory = parseInventory(inventoryYaml, { fileName: 'inv.yaml' });
  try {
    plan(workflow, inventory, {}, {}, { registry });
  } catch (e) {
    expect(e).toBeInstanceOf(InventoryError);
    return [...(e as InventoryError).problems];
  }
  throw new Error('plan() accepted the inventory');
}

const brief = (ps: WorkflowProblem[]) => ps.map((p) => `${p.location ? `${p.location.line}:${p.location.column}` : '-'} ${p.message}${p.hint ? ` | ${p.hint}` : ''}`);

describe('plan() validates connection settings (issue 12)', () => {
  it('a port of 99999 is refused at its place, once for the inventory-wide section', () => {
    const p = planProblems(`name: c
connection:
  scylla_api: {port: 99999}
nodes:
  - {id: n1, address: 10.0.0.1, dc: d, rack: r}
  - {id: n2, address: 10.0.0.2, dc: d, rack: r}
`);
    expect(brief(p)).toEqual([
      `3:16 connection.scylla_api.port: Too big: expected number to be <=65535 (got 99999) | fix the value in the inventory; see the plugin's README for this section`,
    ]);
  });

  it('a misspelt ssh key of one node is an unknown key with its location and did-you-mean', () => {
    const p = planProblems(`name: c
connection:
  ssh: {user: scylla}
nodes:
  - {id: n1, address: 10.0.0.1, dc: d, rack: r}
  - id: n2
    address: 10.0.0.2
    dc: d
    rack: r
    connection:
      ssh:
        identity_fille: /keys/n2
        port: 0
`);
    expect(brief(p)).toEqual([
      '12:9 node n2: unknown key "identity_fille" in connection.ssh | did you mean "identity_file"?',
      `13:9 node n2: connection.ssh.port: Too small: expected number to be >=1 (got 0) | fix the value in the inventory; see the plugin's README for this section`,
    ]);
  });

  it('prometheus settings too, and a section that is not a mapping', () => {
    const p = planProblems(`name: c
connection:
  prometheus: {url: http://p:9090, timeout_secs: 5}
  scylla_api: 10000
nodes:
  - {id: n1, address: 10.0.0.1, dc: d, rack: r}
`);
    expect(brief(p)).toEqual([
      '3:36 unknown key "timeout_secs" in connection.prometheus | did you mean "timeout_seconds"?',
      '4:3 connection.scylla_api must be a mapping | write it as {key: value, ...}',
    ]);
  });

  it('a misspelt section name is refused with did-you-mean, not silently ignored (the job would talk to port 10000)', () => {
    const p = planProblems(`name: c
connection:
  scyla_api: {port: 10001}
nodes:
  - {id: n1, address: 10.0.0.1, dc: d, rack: r}
  - {id: n2, address: 10.0.0.2, dc: d, rack: r, connection: {prometheous: {url: http://p:9090}}}
`);
    expect(brief(p)).toEqual([
      '3:3 unknown connection section "scyla_api": no plugin reads it, so its settings would be ignored | did you mean "scylla_api"?',
      '6:62 node n2: unknown connection section "prometheous": no plugin reads it, so its settings would be ignored | did you mean "prometheus"?',
    ]);
  });

  it('valid settings, and sections no plugin declares, are accepted', () => {
    const inventory = parseInventory(`name: c
connection:
  scylla_api: {port: 10000, headers_timeout_seconds: 5}
  ssh: {user: scylla, identity_file: /k, port: 22}
  prometheus: {url: http://p:9090}
  custom_section: {anything: goes}
nodes:
  - {id: n1, address: 10.0.0.1, dc: d, rack: r, connection: {prometheus_target: '10.0.0.1:9180', ssh: {port: 2222}}}
`);
    expect(() => plan(workflow, inventory, {}, {}, { registry })).not.toThrow();
  });

  it('an inventory built in code (no source) still gets the error, with the path instead of a location', () => {
    const inventory = { name: 'c', connection: {}, nodes: [{ id: 'n1', address: 'a', dc: 'd', rack: 'r', zone: 'r', labels: {}, connection: { ssh: { prot: 22 } } }] };
    expect(() => plan(workflow, inventory, {}, {}, { registry })).toThrow(/node n1: unknown key "prot" in connection\.ssh \(hint: did you mean "port"\?\)/);
  });
});

describe('durations of the Scylla tags and connection settings are bounded like the language (issue 12)', () => {
  it('a drain timeout in milliseconds by mistake is refused at its location; 25 days (past 2^31-1 ms) is accepted', () => {
    const text = (v: number) => `name: w\ncluster_tasks:\n  - task: !node-workflow\n      name: d\n      node_tasks:\n        - task: !scylla-drain {drain_timeout_seconds: ${v}}\n`;
    expect(() => parseWorkflow(text(2_200_000), { registry })).not.toThrow();
    try {
      parseWorkflow(text(600_000_000), { registry, fileName: 'w.yaml' });
      throw new Error('accepted');
    } catch (e) {
      expect((e as WorkflowError).problems.map((p) => `${p.location?.line}:${p.location?.column} ${p.message}`)).toEqual([
        '6:55 !scylla-drain: drain_timeout_seconds: a duration is at most 2592000 seconds (30 days); was it written in milliseconds?',
      ]);
    }
  });

  it('connection timeouts too, checked when the job is planned', () => {
    const p = planProblems(`name: c
connection:
  scylla_api: {headers_timeout_seconds: 5000000}
  prometheus: {url: http://p:9090, timeout_seconds: 0}
nodes:
  - {id: n1, address: 10.0.0.1, dc: d, rack: r}
`);
    expect(p.map((x) => `${x.location?.line}:${x.location?.column} ${x.message}`)).toEqual([
      '3:16 connection.scylla_api.headers_timeout_seconds: a duration is at most 2592000 seconds (30 days); was it written in milliseconds? (got 5000000)',
      '4:36 connection.prometheus.timeout_seconds: a duration must be greater than 0 seconds (got 0)',
    ]);
  });
});
