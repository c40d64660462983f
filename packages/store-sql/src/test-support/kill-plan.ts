// The job the kill test runs: a stand-in plugin whose tasks append their effect to a file,
// and a plan of many short steps (cluster steps around a node workflow run two nodes at a time).
import fs from 'node:fs';
import { z } from 'zod';
import { definePlugin, type ClusterExecutionContext, type JobPlan, type NodeExecutionContext, type TaskSpec } from '@scylla-cp/core';

/** One line per execution: `<stepId> <attempt> <pid>`. */
export function effectLine(stepId: string, attempt: number, pid: number): string {
  return `${stepId} ${attempt} ${pid}\n`;
}

/**
 * `!effect {ms}`: appends its effect line to `effectsFile`, then works for `ms` ms.
 * Idempotent by design: running it again only appends the same effect again, which is
 * how the test sees every execution.
 */
export function effectPlugin(effectsFile: string) {
  const params = z.object({ ms: z.number().int().min(0) }).strict();
  const task = (p: { ms: number }) => ({
    name: () => 'effect',
    preconditions: () => [],
    execute: async (ctx: NodeExecutionContext | ClusterExecutionContext) => {
      fs.appendFileSync(effectsFile, effectLine(ctx.stepId, ctx.attempt, process.pid));
      await new Promise((resolve) => setTimeout(resolve, p.ms));
      return p.ms % 2 === 0 ? { ms: p.ms } : undefined;
    },
  });
  return definePlugin({
    name: 'kill-test-effects',
    version: '1.0.0',
    nodeTasks: { effect: { description: 'append an effect line, then wait', params, create: (p) => task(p as { ms: number }) } },
    clusterTasks: { effect: { description: 'append an effect line, then wait', params, create: (p) => task(p as { ms: number }) } },
  });
}

function effect(ms: number): TaskSpec {
  return { tag: 'effect', params: { ms }, retries: 0, retryBackoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 1 } };
}

/** 4 cluster steps, 8 nodes x 3 tasks (2 zones, two nodes at a time), 4 cluster steps: 32 steps. */
export function killPlan(cluster: string): JobPlan {
  const nodes = Array.from({ length: 8 }, (_, i) => ({
    id: `n${i}`,
    address: `127.0.0.${i + 1}`,
    dc: 'dc1',
    rack: `r${i % 2}`,
    zone: `z${i % 2}`,
    labels: {},
    connection: {},
  }));
  return {
    formatVersion: 1,
    workflowName: 'kill-test',
    cluster,
    inventory: { name: cluster, nodes, connection: {} },
    targeting: {},
    variables: {},
    steps: [
      ...[0, 1, 2, 3].map((i) => ({ kind: 'cluster-task' as const, id: `pre${i}`, task: effect(1 + (i % 3)) })),
      {
        kind: 'node-workflow' as const,
        id: 'rolling',
        name: 'rolling',
        concurrencyUnit: 'zone' as const,
        concurrencyLimit: 2,
        abortOnFirstFailure: true,
        tasks: [effect(2), effect(1), effect(3)],
        batches: [0, 1].map((z) => ({ id: `rolling/b${z}`, unit: `z${z}`, nodes: nodes.filter((n) => n.zone === `z${z}`).map((n) => n.id) })),
      },
      ...[0, 1, 2, 3].map((i) => ({ kind: 'cluster-task' as const, id: `post${i}`, task: effect(2 + (i % 2)) })),
    ],
  };
}

/** Every step id of {@link killPlan}, in plan order. */
export function killPlanStepIds(plan: JobPlan): string[] {
  const ids: string[] = [];
  for (const step of plan.steps) {
    if (step.kind === 'cluster-task') ids.push(step.id);
    else for (const b of step.batches) for (const n of b.nodes) for (let t = 0; t < step.tasks.length; t++) ids.push(`${step.id}/${n}/t${t}`);
  }
  return ids;
}
