import { UnrecoverableError, type ClusterExecutionContext, type ExecuteClusterTask } from '@scylla-cp/core';
import { z } from 'zod';
import { NodeShellService } from '../shell/node-shell.js';
import { usesSudo } from '../shell/node-shell-provider.js';

/** Where `!maintenance-marker` writes by default: node_exporter's textfile collector directory (Debian/Ubuntu packages). */
export const DEFAULT_MAINTENANCE_MARKER_PATH = '/var/lib/node_exporter/textfile_collector/scylla_cp_maintenance.prom';

/** Parameters of `!maintenance-marker`. */
export const maintenanceMarkerParams = z.strictObject({
  /** `on` when the maintenance starts, `off` (typically in `finally_tasks`) when it ends. */
  state: z.enum(['on', 'off']),
  /** Absolute path of the marker file on every node. @default DEFAULT_MAINTENANCE_MARKER_PATH */
  path: z
    .string()
    .regex(/^\/[^\0\n]*$/, 'an absolute path')
    .default(DEFAULT_MAINTENANCE_MARKER_PATH),
});

/** Validated parameters of `!maintenance-marker`. */
export type MaintenanceMarkerParams = z.output<typeof maintenanceMarkerParams>;

function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * The marker's text: a Prometheus text-format gauge `scylla_cp_maintenance`
 * (1 while on, 0 when off) labelled with the cluster, job, workflow and
 * operator, so node_exporter's textfile collector exports it and alert rules
 * or dashboards can tell planned maintenance from an outage.
 */
export function maintenanceMarkerText(on: boolean, labels: { cluster: string; job: string; workflow: string; operator: string }): string {
  const l = Object.entries(labels)
    .map(([k, v]) => `${k}="${label(v)}"`)
    .join(',');
  return (
    '# HELP scylla_cp_maintenance 1 while a scylla-cp job holds this node\'s cluster in maintenance, 0 after it ended.\n' +
    '# TYPE scylla_cp_maintenance gauge\n' +
    `scylla_cp_maintenance{${l}} ${on ? 1 : 0}\n`
  );
}

/**
 * `!maintenance-marker {state: on|off, path?}` (cluster task): writes the
 * maintenance marker on every node of the inventory through its node shell
 * (`[sudo -n] tee <path>`, text from {@link maintenanceMarkerText}). `off`
 * leaves the gauge at 0 rather than deleting the file, so the series does
 * not vanish (and go stale) in Prometheus. Idempotent: writing the same
 * marker twice leaves the same file. Errors: a node the shell cannot reach
 * is recoverable (the step retries); a failed write (missing directory, no
 * permission) is unrecoverable and says how to fix it. Typical use: `on` as
 * the first cluster task, `off` in `finally_tasks`.
 */
export class MaintenanceMarkerTask implements ExecuteClusterTask {
  constructor(readonly params: MaintenanceMarkerParams) {}
  name(): string {
    return 'maintenance-marker';
  }
  preconditions() {
    return [];
  }
  async execute(ctx: ClusterExecutionContext): Promise<{ state: 'on' | 'off'; path: string; nodes: string[] }> {
    const { state, path } = this.params;
    if (!ctx.nodeServices) {
      throw new UnrecoverableError('!maintenance-marker needs a context with nodeServices (run it in a job of the engine)', { code: 'MISSING_NODE_SERVICES' });
    }
    const text = maintenanceMarkerText(state === 'on', { cluster: ctx.inventory.name, job: ctx.job.id, workflow: ctx.job.workflowName, operator: ctx.job.operator });
    const done: string[] = [];
    for (const node of ctx.inventory.nodes) {
      const shell = ctx.nodeServices(node).get(NodeShellService);
      const argv = usesSudo(ctx.inventory, node) ? ['sudo', '-n', 'tee', path] : ['tee', path];
      const r = await shell.run(argv, { stdin: text, signal: ctx.signal, maxOutputBytes: 64 * 1024 });
      if (r.exitCode !== 0) {
        throw new UnrecoverableError(
          `node ${node.id}: could not write the maintenance marker ${path} (exit ${r.exitCode ?? 'by signal'}: ${r.stderr.trim() || 'no message'}); create its directory (node_exporter's textfile collector) or set path, and allow the write (connection.ssh.sudo)`,
          { code: 'MARKER_WRITE_FAILED', details: { node: node.id, path, exitCode: r.exitCode } },
        );
      }
      done.push(node.id);
    }
    ctx.logger.info(`maintenance marker ${state} on ${done.length} node(s) (${path})`);
    return { state, path, nodes: done };
  }
}
