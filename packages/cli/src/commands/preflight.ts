import { nodeMembership, type Clock, type InventoryNode, type JobPlan, type PluginRegistry, type Services } from '@scylla-cp/core';
import { nodeSeries, prometheusPlugin, PrometheusService } from '@scylla-cp/conditions';
import { NodeShellService, ScyllaApiService } from '@scylla-cp/tasks-scylla';

/** One preflight check: what, on which node, and whether it passed. */
export interface PreflightCheck {
  /** `rest-api`, `ssh` (the node shell), `prometheus` or `cluster-normal`. */
  check: 'rest-api' | 'ssh' | 'prometheus' | 'cluster-normal';
  /** Absent for cluster-wide checks. */
  node?: string;
  ok: boolean;
  detail: string;
}

/**
 * Node task tags that run commands through the node shell (ssh, local or the
 * simulator's). When a workflow uses one, the preflight checks that the shell
 * reaches every targeted node.
 */
export const SHELL_TASK_TAGS: ReadonlySet<string> = new Set([
  'systemd-stop-scylla-server',
  'systemd-start-service',
  'systemd-stop-service',
  'systemd-restart-service',
  'scylla-config-set',
  'run-command',
]);

/** The metric the preflight looks for per node in Prometheus (every Scylla node exports it). */
export const PREFLIGHT_METRIC = 'scylla_reactor_utilization';

/** Every task and condition tag a plan names (tasks, and `$tag`s nested in their parameters). */
export function planTags(plan: JobPlan): Set<string> {
  const tags = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.$tag === 'string') tags.add(o.$tag);
      Object.values(o).forEach(walk);
    }
  };
  for (const step of plan.steps) {
    const tasks = step.kind === 'cluster-task' ? [step.task] : step.tasks;
    for (const t of tasks) {
      tags.add(t.tag);
      walk(t.params);
    }
  }
  return tags;
}

/** The nodes a plan acts on (in plan order); every inventory node when it has only cluster tasks. */
export function targetedNodes(plan: JobPlan): InventoryNode[] {
  const ids: string[] = [];
  for (const step of plan.steps) if (step.kind === 'node-workflow') for (const b of step.batches) for (const n of b.nodes) if (!ids.includes(n)) ids.push(n);
  const byId = new Map(plan.inventory.nodes.map((n) => [n.id, n]));
  return ids.length > 0 ? ids.map((id) => byId.get(id)!).filter(Boolean) : [...plan.inventory.nodes];
}

/** Options of {@link runPreflight}. */
export interface PreflightOptions {
  registry: PluginRegistry;
  clock: Clock;
  /** Per check. @default 5 */
  timeoutSeconds?: number;
}

const msg = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function withTimeout<T>(p: (signal: AbortSignal) => Promise<T>, seconds: number): Promise<T> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p(ac.signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          ac.abort();
          reject(new Error(`no answer within ${seconds}s`));
        }, seconds * 1000);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * Checks, without changing anything on the cluster, that a plan can start:
 * every targeted node answers its REST API (and is in operation mode NORMAL);
 * the node shell reaches it (`true` runs) when the workflow uses shell tasks;
 * Prometheus answers and has series for it when the workflow uses Prometheus
 * conditions; and no node of the cluster is seen down by the others.
 * Connections are made through the registry's services, as the engine would.
 */
export async function runPreflight(plan: JobPlan, o: PreflightOptions): Promise<PreflightCheck[]> {
  const timeout = o.timeoutSeconds ?? 5;
  const tags = planTags(plan);
  const usesShell = [...tags].some((t) => SHELL_TASK_TAGS.has(t));
  const promTags = new Set(Object.keys(prometheusPlugin.conditions ?? {}));
  const usesPrometheus = [...tags].some((t) => promTags.has(t));
  const nodes = targetedNodes(plan);
  const isNewNode = (n: InventoryNode): boolean => ['new', 'replacement'].includes(nodeMembership(plan.inventory, n));
  const ac = new AbortController();
  const job = { id: 'preflight', operator: 'preflight', variables: plan.variables, workflowName: plan.workflowName };
  const servicesFor = (node?: InventoryNode): Services =>
    o.registry.services.bind({ inventory: plan.inventory, ...(node ? { node } : {}), job, clock: o.clock, signal: ac.signal });
  const checks: PreflightCheck[] = [];
  const modes = new Map<string, string>();
  try {
    await Promise.all(
      nodes.map(async (node) => {
        const services = servicesFor(node);
        if (isNewNode(node)) {
          // issue 19: a node to join (or a replacement) is not started yet; the job starts it
          checks.push({ check: 'rest-api', node: node.id, ok: true, detail: `new node (${node.replaces ? `replaces ${node.replaces}` : 'to join'}): not started yet, not checked` });
        } else try {
          const mode = await withTimeout(() => services.get(ScyllaApiService).operationMode(), timeout);
          modes.set(node.id, String(mode));
          checks.push({ check: 'rest-api', node: node.id, ok: true, detail: `answers (operation mode ${mode})` });
        } catch (e) {
          checks.push({ check: 'rest-api', node: node.id, ok: false, detail: msg(e) });
        }
        if (usesShell) {
          try {
            const r = await withTimeout((signal) => services.get(NodeShellService).run(['true'], { timeoutSeconds: timeout, signal }), timeout + 1);
            checks.push(
              r.exitCode === 0
                ? { check: 'ssh', node: node.id, ok: true, detail: 'node shell runs commands' }
                : { check: 'ssh', node: node.id, ok: false, detail: `\`true\` exited ${r.exitCode}: ${r.stderr.trim().slice(0, 200)}` },
            );
          } catch (e) {
            checks.push({ check: 'ssh', node: node.id, ok: false, detail: msg(e) });
          }
        }
      }),
    );
    if (usesPrometheus) {
      let prom;
      try {
        prom = servicesFor(undefined).get(PrometheusService);
      } catch (e) {
        checks.push({ check: 'prometheus', ok: false, detail: msg(e) });
      }
      if (prom) {
        for (const node of nodes) {
          try {
            const s = nodeSeries(plan.inventory, node);
            // Every Scylla node exports scylla_reactor_utilization (one series per shard).
            const r = await withTimeout(() => prom!.query(`${PREFLIGHT_METRIC}{${s.matcher}}`), timeout);
            const n = r.resultType === 'vector' ? r.result.length : 0;
            checks.push(
              n > 0
                ? { check: 'prometheus', node: node.id, ok: true, detail: `${n} ${PREFLIGHT_METRIC} series for ${s.matcher}` }
                : { check: 'prometheus', node: node.id, ok: false, detail: `Prometheus at ${prom.url} answers but has no ${PREFLIGHT_METRIC} series for ${s.matcher}` },
            );
          } catch (e) {
            checks.push({ check: 'prometheus', node: node.id, ok: false, detail: msg(e) });
          }
        }
      }
    }
    // The cluster is normal: every targeted node answered NORMAL and no node is seen down.
    const notNormal = [...modes].filter(([, m]) => m !== 'NORMAL').map(([n, m]) => `${n} is ${m}`);
    let viewer = nodes.find((n) => modes.get(n.id) === 'NORMAL');
    if (!viewer && nodes.length > 0 && nodes.every(isNewNode)) {
      // only new nodes targeted: ask a member of the cluster (issue 19)
      for (const m of plan.inventory.nodes.filter((n) => nodeMembership(plan.inventory, n) === 'member')) {
        const mode = await withTimeout(() => servicesFor(m).get(ScyllaApiService).operationMode(), timeout).catch(() => undefined);
        if (mode === 'NORMAL') {
          viewer = m;
          break;
        }
      }
    }
    let down: string[] = [];
    if (viewer) {
      try {
        down = await withTimeout(() => servicesFor(viewer).get(ScyllaApiService).downEndpoints(), timeout);
      } catch (e) {
        notNormal.push(`cannot read the down endpoints from ${viewer.id}: ${msg(e)}`);
      }
    }
    // dead nodes that the inventory's replacements replace are expected down (issue 19)
    const replaced = new Set(plan.inventory.nodes.filter((n) => nodeMembership(plan.inventory, n) === 'replaced').map((n) => n.address));
    down = down.filter((a) => !replaced.has(a));
    if (down.length > 0) notNormal.push(`seen down by ${viewer!.id}: ${down.join(', ')}`);
    if (!viewer && nodes.length > 0) notNormal.push(nodes.every(isNewNode) ? 'no member of the cluster answered in operation mode NORMAL' : 'no targeted node answered in operation mode NORMAL');
    checks.push(
      notNormal.length === 0
        ? { check: 'cluster-normal', ok: true, detail: `${nodes.length} targeted node(s) NORMAL, none seen down` }
        : { check: 'cluster-normal', ok: false, detail: notNormal.join('; ') },
    );
  } finally {
    ac.abort();
    await o.registry.services.dispose().catch(() => {});
  }
  const order = ['rest-api', 'ssh', 'prometheus', 'cluster-normal'];
  const nodeIndex = new Map(nodes.map((n, i) => [n.id, i]));
  return checks.sort((a, b) => (nodeIndex.get(a.node ?? '') ?? 1e9) - (nodeIndex.get(b.node ?? '') ?? 1e9) || order.indexOf(a.check) - order.indexOf(b.check));
}

/** The preflight table: failures first (with what failed), then a count of the passes. */
export function formatPreflight(checks: readonly PreflightCheck[], all = false): string {
  const failed = checks.filter((c) => !c.ok);
  const shown = all ? checks : failed;
  const rows = shown.map((c) => [c.ok ? 'ok' : 'FAIL', c.check, c.node ?? '(cluster)', c.detail]);
  const head = ['RESULT', 'CHECK', 'NODE', 'DETAIL'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const table = rows.length > 0 ? `${[fmt(head), ...rows.map(fmt)].join('\n')}\n` : '';
  const summary =
    failed.length === 0
      ? `preflight: all ${checks.length} checks passed\n`
      : `preflight: ${failed.length} of ${checks.length} checks failed; nothing was changed on the cluster\n`;
  return `${table}${summary}`;
}
