import { describe, expect, it } from 'vitest';
import { RaftSimTopology } from '../src/index.js';
import { SEED, getJson, virtualCluster } from './helpers.js';

interface TaskStats {
  task_id: string;
  state: string;
  type: string;
  entity: string;
}

/** Topology requests through ScyllaDB's task-manager routes (module `node_ops`), over the simulator's REST API. */
describe(`topology requests in the task manager (SEED=${SEED})`, () => {
  function setup() {
    const r = virtualCluster({ timing: { decommissionMs: 3000, rebuildMs: 2000 } });
    if (!(r.cluster.topology instanceof RaftSimTopology)) throw new Error('expected the Raft topology');
    return { ...r, topo: r.cluster.topology };
  }

  it('lists a running decommission and a queued rebuild; the queued one is abortable, the running one is not; an abort ends it with the reason', async () => {
    const { clock, cluster, topo } = setup();
    const [a, b, viewer] = [cluster.nodes[5]!, cluster.nodes[1]!, cluster.nodes[0]!.id];
    const dec = cluster.request(a.id, 'POST', '/storage_service/decommission');
    await clock.advance(100);
    const reb = cluster.request(b.id, 'POST', '/storage_service/rebuild');
    await clock.advance(100);

    const tasks = (await getJson(cluster, viewer, '/task_manager/list_module_tasks/node_ops')) as TaskStats[];
    // a queued request has not started: its start_time is the epoch, as ScyllaDB leaves it
    expect((tasks as unknown as { start_time: string }[]).map((t) => t.start_time === '1970-01-01T00:00:00Z')).toEqual([false, true]);
    expect(tasks.map((t) => [t.type, t.entity, t.state])).toEqual([
      ['decommission', a.hostId, 'running'],
      ['rebuild', b.hostId, 'created'],
    ]);
    const [decTask, rebTask] = tasks.map((t) => t.task_id);
    const status = async (id: string) => (await getJson(cluster, viewer, `/task_manager/task_status/${id}`)) as { state: string; error: string; is_abortable: boolean };
    expect((await status(decTask!)).is_abortable).toBe(false);
    expect((await status(rebTask!)).is_abortable).toBe(true);

    // the running decommission: 403, and it goes on
    const refused = await clock.run(cluster.request(viewer, 'POST', `/task_manager/abort_task/${decTask}`));
    expect(refused.status, refused.body).toBe(403);
    // the queued rebuild: aborted through the topology group (void reply)
    const aborted = await clock.run(cluster.request(viewer, 'POST', `/task_manager/abort_task/${rebTask}`));
    expect([aborted.status, aborted.body]).toEqual([200, '']);
    const rebReply = await clock.run(reb);
    expect(rebReply.status).toBe(500);
    expect(rebReply.body).toMatch(/aborted/);
    expect(await status(rebTask!)).toMatchObject({ state: 'failed', is_abortable: false, error: expect.stringMatching(/aborted/) });
    expect(cluster.oplog.entries({ actions: ['topology-request-aborted'] })).toHaveLength(1);

    expect((await clock.run(dec)).status).toBe(200);
    expect(topo.state(a.id)).toBe('left');
    // the rebuild never started: b never went through `rebuilding`
    expect(topo.history.some((h) => h.nodeStates[b.id] === 'rebuilding')).toBe(false);
    // a finished request is not abortable; an unknown id is an unknown task
    expect((await clock.run(cluster.request(viewer, 'POST', `/task_manager/abort_task/${decTask}`))).status).toBe(403);
    expect((await clock.run(cluster.request(viewer, 'POST', '/task_manager/abort_task/00000000-0000-0000-0000-000000000000'))).status).toBe(400);
  });

  it('wait_task answers once the request is done; with a timeout that passes first it answers 408', async () => {
    const { clock, cluster } = setup();
    const a = cluster.nodes[5]!;
    const viewer = cluster.nodes[0]!.id;
    const t0 = clock.now();
    const dec = cluster.request(a.id, 'POST', '/storage_service/decommission');
    await clock.advance(10);
    const [task] = (await getJson(cluster, viewer, '/task_manager/list_module_tasks/node_ops')) as TaskStats[];
    const short = await clock.run(cluster.request(viewer, 'GET', `/task_manager/wait_task/${task!.task_id}?timeout=1`));
    expect(short.status, short.body).toBe(408);
    expect(clock.now() - t0).toBe(1010);
    const waited = await clock.run(cluster.request(viewer, 'GET', `/task_manager/wait_task/${task!.task_id}`));
    expect(waited.status, waited.body).toBe(200);
    expect(JSON.parse(waited.body)).toMatchObject({ id: task!.task_id, state: 'done', type: 'decommission', progress_completed: 100 });
    expect(clock.now() - t0).toBe(3000);
    // started and ended on the simulation's clock (the coordinator's stamps)
    const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
    expect(JSON.parse(waited.body)).toMatchObject({ start_time: iso(t0), end_time: iso(t0 + 3000) });
    const recursive = (await getJson(cluster, viewer, `/task_manager/task_status_recursive/${task!.task_id}`)) as { id: string; state: string }[];
    expect(recursive.map((s) => [s.id, s.state])).toEqual([[task!.task_id, 'done']]);
    expect((await clock.run(dec)).status).toBe(200);
    expect((await clock.run(cluster.request(viewer, 'GET', `/task_manager/wait_task/${task!.task_id}?timeout=x`))).status).toBe(400);
  });
});
