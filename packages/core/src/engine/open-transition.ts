import type { JobPlan } from '../plan/job-plan.js';
import type { Lease, StepUpdate, Transition } from '../store/job-store.js';
import type { JobRunStart } from './job-run-deps.js';

/** An inventory re-binding recorded when a run opens (see `Engine.resume`'s `inventory`). @internal */
export interface InventoryRebind {
  plan: JobPlan;
  changedNodes: string[];
  inventoryConnectionChanged: boolean;
  by: string;
}

/**
 * The first transition of a run (pure): the job `running`, failed steps given
 * a fresh retry budget (`retry`: their attempt count restarts at 0), the
 * `finally_tasks` reset for a fresh clean-up, the re-bound plan if any, and
 * the `job.started` / `job.resumed` event with the lease's holder and token.
 * A pending control request is kept: the run acts on it before its first step. @internal
 */
export function openTransition(start: JobRunStart, plan: JobPlan, lease: Lease, at: number, rebind?: InventoryRebind): Transition {
  const resetIds = start.resume?.retriedStepIds ?? [];
  const steps: StepUpdate[] = resetIds.map((id) => {
    const r = start.resume!.openRecord(id)!;
    const u: StepUpdate = { stepId: id, state: 'pending', attempts: 0 };
    if (r.nodeId !== undefined) u.nodeId = r.nodeId;
    return u;
  });
  if (start.freshFinally) {
    for (const f of plan.finallySteps ?? []) if (!resetIds.includes(f.id)) steps.push({ stepId: f.id, state: 'pending', attempts: 0 });
  }
  const reason = start.resumed ? 'resumed' : 'started';
  return {
    at,
    job: { state: 'running', error: null },
    steps,
    ...(rebind ? { plan: rebind.plan } : {}),
    events: [
      ...(rebind ? [{ type: 'job.inventory-rebound', data: { by: rebind.by, changedNodes: rebind.changedNodes, inventoryConnectionChanged: rebind.inventoryConnectionChanged } }] : []),
      { type: `job.${reason}`, data: { holder: lease.holder, token: lease.token, retriedSteps: resetIds.length } },
    ],
  };
}
