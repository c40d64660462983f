import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { findRoute, SCYLLA_CLIENT_ROUTES } from '@scylla-cp/tasks-scylla';
import { describe, expect, it } from 'vitest';
import { matchSimRoute, RaftSimTopology, SIM_ROUTES, simGroup0LeaderNow, topologyTaskId, type SimCluster } from '../src/index.js';
import { virtualCluster } from './helpers.js';

const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8');
const MODELS = JSON.parse(fixture('api-models.json')) as Record<string, Record<string, string>>;

function model(group: string, name: string): Record<string, string> {
  const m = MODELS[`${group}.${name}`] ?? Object.entries(MODELS).find(([k]) => k.endsWith(`.${name}`))?.[1];
  if (!m) throw new Error(`no model ${name} in api-models.json`);
  return m;
}

/** Problems of `value` against a declared Swagger type (empty when it conforms). */
function conform(value: unknown, type: string, group: string, where: string): string[] {
  const arr = /^array<(.+)>$/.exec(type);
  if (arr) {
    if (!Array.isArray(value)) return [`${where}: expected array, got ${JSON.stringify(value)}`];
    return value.flatMap((v, i) => conform(v, arr[1]!, group, `${where}[${i}]`));
  }
  switch (type) {
    case 'string':
    case 'datetime':
      return typeof value === 'string' ? [] : [`${where}: expected string, got ${JSON.stringify(value)}`];
    case 'long':
    case 'int':
      return Number.isInteger(value) ? [] : [`${where}: expected integer, got ${JSON.stringify(value)}`];
    case 'double':
    case 'float':
      return typeof value === 'number' ? [] : [`${where}: expected number, got ${JSON.stringify(value)}`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${where}: expected boolean, got ${JSON.stringify(value)}`];
    case 'chunked_array': // a streamed JSON array (task_status.children_ids)
      return Array.isArray(value) ? [] : [`${where}: expected array, got ${JSON.stringify(value)}`];
    default: {
      const props = model(group, type);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${where}: expected ${type} object`];
      const out: string[] = [];
      for (const [k, v] of Object.entries(value)) {
        if (!(k in props)) out.push(`${where}.${k}: not a property of ${type}`);
        else out.push(...conform(v, props[k]!, group, `${where}.${k}`));
      }
      return out;
    }
  }
}

/** A JSON value's shape: types and keys, not values. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? ['empty'] : [shape(v[0])];
  if (v === null) return 'null';
  if (typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, shape((v as Record<string, unknown>)[k])]));
  return typeof v;
}

async function prepare(): Promise<{ cluster: SimCluster; run: <T>(p: Promise<T>) => Promise<T> }> {
  const { clock, cluster } = virtualCluster({ nodesPerZone: 2 });
  return { cluster, run: (p) => clock.run(p) };
}

describe('fidelity to ScyllaDB', () => {
  it('serves only routes of the tasks-scylla manifest, each answering its declared response type', async () => {
    const { cluster, run } = await prepare();
    const [n0, n1, n2, n3, n4] = cluster.nodes;
    cluster.kill(n4!.id);
    await run(cluster.request(n0!.id, 'POST', '/storage_service/repair_async/ks1'));
    await run(cluster.request(n0!.id, 'POST', '/storage_service/snapshots?tag=before&kn=ks1'));
    // a finished topology request, for /task_manager/task_status/{task_id} (issue 19)
    await run(cluster.rebuild(n0!, undefined));
    const rebuildTask = topologyTaskId(cluster, Object.values((cluster.topology as RaftSimTopology).current.requests)[0]!.id);
    // let peers notice the dead node (remove_node needs it down)
    await run(new Promise<void>((r) => void cluster.clock.sleep(cluster.timing.failureDetectionDelayMs + 1).then(r)));
    const nodeFor: Record<string, string> = {
      'POST /storage_service/drain': n1!.id,
      'POST /storage_service/decommission': n2!.id,
      'POST /storage_service/remove_node': n3!.id,
      'POST /raft/trigger_stepdown/': (await run(simGroup0LeaderNow(cluster)))!.id, // issue 15: only the leader steps down
    };
    const concrete = (path: string) =>
      path.replace('{keyspace}', 'ks1').replace('{module}', 'repair').replace('{endpoint}', n1!.address).replace('{addr}', n1!.address).replace('{name}', 'ks1:t1').replace('{task_id}', rebuildTask);
    const query: Record<string, string> = {
      'GET /storage_service/repair_async/{keyspace}': '?id=1',
      'GET /storage_service/repair_status/': '?id=1&timeout=0',
      'POST /storage_service/remove_node': `?host_id=${n4!.hostId}`,
      'POST /compaction_manager/stop_compaction': '?type=COMPACTION',
      'GET /snitch/datacenter': `?host=${n1!.address}`,
      'GET /task_manager/list_module_tasks/{module}': '?keyspace=ks1',
      'POST /storage_service/tablets/balancing': '?enabled=false',
    };
    const problems: string[] = [];
    // mutating routes last, so that every read sees a healthy node; remove_node first among them,
    // as the Raft topology refuses a decommission while a node is down and not removed
    const rank = (r: { method: string; path: string }) => (r.method === 'GET' ? 0 : r.path === '/storage_service/remove_node' ? 1 : 2);
    const ordered = [...SIM_ROUTES].sort((a, b) => rank(a) - rank(b));
    for (const r of ordered) {
      const key = `${r.method} ${r.path}`;
      const url = concrete(r.path);
      const m = findRoute(r.method, url);
      if (!m) {
        problems.push(`${key}: not in the manifest`);
        continue;
      }
      expect(m.route.path.replace(/\/$/, '')).toBe(r.path.replace(/\/$/, ''));
      const reply = await run(cluster.request(nodeFor[key] ?? n0!.id, r.method, url + (query[key] ?? '')));
      // the finished rebuild is not abortable: ScyllaDB answers 403 (task_manager.json, abort_task)
      if (key === 'POST /task_manager/abort_task/{task_id}') {
        if (reply.status !== 403) problems.push(`${key}: status ${reply.status} ${reply.body}, expected 403 for a finished request`);
        continue;
      }
      if (reply.status !== 200) {
        problems.push(`${key}: status ${reply.status} ${reply.body}`);
        continue;
      }
      if (m.route.responseType === 'void') {
        if (reply.body !== '') problems.push(`${key}: void route answered ${reply.body}`);
        continue;
      }
      const value = JSON.parse(reply.body) as unknown;
      problems.push(...conform(value, m.route.responseType, m.route.apiGroup, key));
      if (m.route.responseEnum && !m.route.responseEnum.includes(value as string)) problems.push(`${key}: ${String(value)} not in ${m.route.responseEnum.join('|')}`);
    }
    expect(problems).toEqual([]);
  });

  it('serves every route the tasks-scylla client calls, with the same declared response type', () => {
    const missing: string[] = [];
    for (const [name, r] of Object.entries(SCYLLA_CLIENT_ROUTES)) {
      const m = matchSimRoute(r.method, r.path.replace(/\{[^}]+\}/g, 'x'));
      if (!m) missing.push(`${name}: ${r.method} ${r.path}`);
      else expect(findRoute(m.route.method, r.path.replace(/\{[^}]+\}/g, 'x'))?.route.responseType).toBe(r.responseType);
    }
    expect(missing).toEqual([]);
  });

  it('answers with the shapes of captured ScyllaDB responses', async () => {
    const { cluster, run } = await prepare();
    const n = cluster.nodes[0]!.id;
    const same = async (method: string, url: string, file: string, status = 200) => {
      const r = await run(cluster.request(n, method, url));
      expect(r.status, `${method} ${url}`).toBe(status);
      expect(shape(JSON.parse(r.body)), `${method} ${url} vs ${file}`).toEqual(shape(JSON.parse(fixture(`captured/${file}`))));
    };
    await same('GET', '/storage_service/host_id', 'host_id_map.json');
    await same('GET', '/snitch/datacenter', 'snitch_datacenter.json');
    await same('GET', '/storage_service/keyspaces', 'storage_service_keyspaces.json');
    await same('GET', '/storage_service/scylla_release_version', 'storage_service_scylla_release_version.json');
    await same('GET', '/storage_service/cluster_name', 'storage_service_cluster_name.json');
    await same('GET', '/storage_service/partitioner_name', 'storage_service_partitioner_name.json');
    await same('GET', '/column_family/name', 'column_family_name.json');
    await same('POST', '/storage_service/repair_async/ks1', 'storage_service_repair_async_scylla_manager_0.json');
    await run(cluster.clock.sleep(cluster.timing.repairMs + 1));
    await same('GET', '/storage_service/repair_async/ks1?id=1', 'storage_service_repair_async_scylla_manager_1.json');
    expect(JSON.parse((await run(cluster.request(n, 'GET', '/storage_service/repair_async/ks1?id=1'))).body)).toBe('SUCCESSFUL');
    await same('GET', '/storage_service/repair_async/ks1?id=5', 'storage_service_repair_async_scylla_manager_2.400.json', 400);
    expect((await run(cluster.request(n, 'GET', '/storage_service/repair_async/ks1?id=5'))).body).toBe(JSON.stringify({ message: 'unknown repair id 5', code: 400 }));
    await same('GET', '/storage_service/repair_statusX', 'storage_service_repair_status.404.json', 404);
    await run(cluster.request(n, 'POST', '/storage_service/snapshots?tag=t1&kn=ks1'));
    await same('GET', '/storage_service/snapshots', 'storage_service_snapshots.json');
    // failure_detector: same keys at both levels, application_state entries shaped alike
    const fd = JSON.parse((await run(cluster.request(n, 'GET', '/failure_detector/endpoints/'))).body) as Record<string, unknown>[];
    const real = JSON.parse(fixture('captured/failure_detector_endpoints.json')) as Record<string, unknown>[];
    expect(shape(fd)).toEqual(shape(real));
    const realStates = new Set((real[0]!['application_state'] as { application_state: number }[]).map((s) => s.application_state));
    for (const s of fd[0]!['application_state'] as { application_state: number; value: string }[]) expect(realStates.has(s.application_state)).toBe(true);
    expect((fd[0]!['application_state'] as { application_state: number; value: string }[])[0]!.value).toMatch(/^NORMAL,-?\d+$/);
  });
});
