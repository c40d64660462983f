import { describe, expect, it } from 'vitest';
import { findRoute, maintenanceMarkerText, RAFT_TABLET_ROUTES, SCYLLA_ROUTES, scyllaPlugin } from '../src/index.js';

describe('issue 15 routes: every path is in ScyllaDB API definitions', () => {
  for (const [name, route] of Object.entries(RAFT_TABLET_ROUTES)) {
    it(`${name}: ${route.method} ${route.path} (${route.responseType})`, () => {
      const exact = SCYLLA_ROUTES.find((r) => r.method === route.method && r.path === route.path);
      expect(exact, `${route.method} ${route.path} not in the manifest`).toBeDefined();
      expect(exact!.responseType).toBe(route.responseType);
      expect(findRoute(route.method, route.path)?.route).toBe(exact);
    });
  }
  it('tablets/balancing requires enabled (boolean); trigger_stepdown takes group_id and timeout', () => {
    const b = SCYLLA_ROUTES.find((r) => r.path === '/storage_service/tablets/balancing')!;
    expect(b.params).toEqual([{ name: 'enabled', in: 'query', type: 'boolean', required: true }]);
    const s = SCYLLA_ROUTES.find((r) => r.path === '/raft/trigger_stepdown/')!;
    expect(s.params.map((p) => p.name)).toEqual(['group_id', 'timeout']);
  });
  it('trigger_stepdown answers "" or an empty body; both decode', () => {
    expect(RAFT_TABLET_ROUTES.triggerStepdown.decode('')).toBe('');
    expect(RAFT_TABLET_ROUTES.triggerStepdown.decode('""')).toBe('');
  });
});

describe('issue 15 tags', () => {
  it('registers !tablet-balancing and !maintenance-marker as cluster tasks, !scylla-raft-stepdown as a node task', () => {
    expect(Object.keys(scyllaPlugin.clusterTasks ?? {})).toEqual(expect.arrayContaining(['tablet-balancing', 'maintenance-marker']));
    expect(Object.keys(scyllaPlugin.nodeTasks ?? {})).toContain('scylla-raft-stepdown');
  });
  it('the marker is a Prometheus text gauge with escaped labels', () => {
    expect(maintenanceMarkerText(true, { cluster: 'c"1', job: 'j', workflow: 'w\\x', operator: 'o\nx' })).toBe(
      '# HELP scylla_cp_maintenance 1 while a scylla-cp job holds this node\'s cluster in maintenance, 0 after it ended.\n' +
        '# TYPE scylla_cp_maintenance gauge\n' +
        'scylla_cp_maintenance{cluster="c\\"1",job="j",workflow="w\\\\x",operator="o\\nx"} 1\n',
    );
  });
});
