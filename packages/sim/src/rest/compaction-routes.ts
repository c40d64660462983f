import { SimHttpError } from '../sim-errors.js';
import { VOID } from '../rest-reply.js';
import { taskIdFor, type SimRouteContext, type SimRoute } from './sim-route.js';

/** Compaction routes: `compaction_manager` (running compactions, pending and completed tasks) and `column_family` pending compactions. */
export const compactionRoutes: readonly SimRoute[] = [
  // ---- compaction_manager
  {
    method: 'GET',
    path: '/compaction_manager/compactions',
    group: 'compaction_manager',
    handle: (c) => {
      const user = c.cluster.keyspaces.filter((k) => !k.name.startsWith('system'));
      const out: unknown[] = [];
      const progress = c.cluster.compactionProgress(c.node);
      c.cluster.compactions(c.node).forEach((s, shard) => {
        const running = s.active - (shard === 0 ? c.node.cleanups.filter((x) => c.cluster.clock.now() < x.endAtMs && c.cluster.clock.now() >= x.startAtMs).length : 0);
        for (let i = 0; i < running; i++) {
          const ks = user[shard % Math.max(1, user.length)] ?? c.cluster.keyspaces[0]!;
          const cf = ks.tables?.[shard % (ks.tables?.length || 1)] ?? 't1';
          out.push({
            id: taskIdFor(`${c.node.hostId}/${shard}/${s.completed}`),
            ks: ks.name,
            cf,
            completed: Math.floor(progress * 100000),
            total: 100000,
            task_type: 'COMPACTION',
            unit: 'keys',
          });
        }
      });
      for (const cl of c.node.cleanups) {
        const now = c.cluster.clock.now();
        if (now < cl.startAtMs || now >= cl.endAtMs) continue;
        const ks = c.cluster.keyspace(cl.ks)!;
        out.push({
          id: taskIdFor(`${c.node.hostId}/cleanup/${cl.startAtMs}`),
          ks: cl.ks,
          cf: ks.tables?.[0] ?? 't1',
          completed: Math.floor(((now - cl.startAtMs) / (cl.endAtMs - cl.startAtMs)) * 100000),
          total: 100000,
          task_type: 'CLEANUP',
          unit: 'keys',
        });
      }
      return out;
    },
  },
  {
    method: 'GET',
    path: '/compaction_manager/metrics/pending_tasks',
    group: 'compaction_manager',
    handle: (c) => c.cluster.compactions(c.node).reduce((a, s) => a + s.pending + s.active, 0),
  },
  {
    method: 'GET',
    path: '/compaction_manager/metrics/pending_tasks_by_table',
    group: 'compaction_manager',
    handle: (c) => pendingByTable(c),
  },
  {
    method: 'GET',
    path: '/compaction_manager/metrics/completed_tasks',
    group: 'compaction_manager',
    handle: (c) => c.cluster.compactions(c.node).reduce((a, s) => a + s.completed, 0),
  },
  { method: 'GET', path: '/compaction_manager/metrics/total_compactions_completed', group: 'compaction_manager', handle: () => 0 },
  { method: 'GET', path: '/compaction_manager/metrics/bytes_compacted', group: 'compaction_manager', handle: () => 0 },
  { method: 'POST', path: '/compaction_manager/stop_compaction', group: 'compaction_manager', required: ['type'], handle: () => VOID },
  // ---- column_family
  {
    method: 'GET',
    path: '/column_family/metrics/pending_compactions',
    group: 'column_family',
    handle: (c) => c.cluster.compactions(c.node).reduce((a, s) => a + s.pending + s.active, 0),
  },
  {
    method: 'GET',
    path: '/column_family/metrics/pending_compactions/{name}',
    group: 'column_family',
    handle: (c) => {
      const [ks, cf] = c.params['name']!.split(':');
      const k = ks === undefined ? undefined : c.cluster.keyspace(ks);
      if (!k || !cf || !(k.tables ?? []).includes(cf)) throw new SimHttpError(400, `Column family '${c.params['name']}' not found`);
      return pendingByTable(c).find((e) => e.ks === ks && e.cf === cf)?.task ?? 0;
    },
  },
  {
    method: 'GET',
    path: '/column_family/name',
    group: 'column_family',
    handle: (c) => c.cluster.keyspaces.flatMap((k) => (k.tables ?? []).map((t) => `${k.name}:${t}`)),
  },
];

function pendingByTable(c: SimRouteContext): { cf: string; ks: string; task: number }[] {
  const user = c.cluster.keyspaces.filter((k) => !k.name.startsWith('system'));
  const tables = user.flatMap((k) => (k.tables ?? []).map((t) => ({ ks: k.name, cf: t })));
  const counts = new Map<string, number>();
  c.cluster.compactions(c.node).forEach((s, shard) => {
    const t = tables[shard % Math.max(1, tables.length)];
    if (!t) return;
    const key = `${t.ks}:${t.cf}`;
    counts.set(key, (counts.get(key) ?? 0) + s.pending + s.active);
  });
  return tables.map((t) => ({ cf: t.cf, ks: t.ks, task: counts.get(`${t.ks}:${t.cf}`) ?? 0 }));
}
