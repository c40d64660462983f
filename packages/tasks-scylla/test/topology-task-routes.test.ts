import { describe, expect, it } from 'vitest';
import { findRoute, SCYLLA_ROUTES } from '../src/index.js';
import { TOPOLOGY_TASK_ROUTES } from '../src/tasks/topology-requests.js';

describe('topology request routes (issue 19)', () => {
  it('every route the topology-request helpers call is in ScyllaDB API definitions with the declared response type', () => {
    for (const r of Object.values(TOPOLOGY_TASK_ROUTES)) {
      const spec = SCYLLA_ROUTES.find((x) => x.method === r.method && x.path === r.path);
      expect(spec, `${r.method} ${r.path}`).toBeDefined();
      expect(spec!.responseType).toBe(r.responseType);
    }
    expect(findRoute('GET', '/task_manager/task_status/0b5f2d4e-0000-4000-8000-000000000001')!.route.nickname).toBe('get_task_status');
  });

  it('decodes task_status with the coordinator error and task_stats with the entity', () => {
    const s = TOPOLOGY_TASK_ROUTES.taskStatus.decode(
      JSON.stringify({ id: 't1', state: 'failed', type: 'bootstrap', entity: 'h1', sequence_number: 3, error: 'Rolled back: node died' }),
    );
    expect(s).toMatchObject({ taskId: 't1', state: 'failed', type: 'bootstrap', entity: 'h1', sequenceNumber: 3, error: 'Rolled back: node died' });
    const l = TOPOLOGY_TASK_ROUTES.moduleTasks.decode(JSON.stringify([{ task_id: 't2', state: 'running', type: 'replace', entity: 'h2', sequence_number: 4 }]));
    expect(l).toEqual([{ taskId: 't2', state: 'running', type: 'replace', entity: 'h2', sequenceNumber: 4 }]);
  });
});
