import type { NodeRoles, NodeWorkflowStep, PlanBatch } from './job-plan.js';

/**
 * `order: role_aware`: within each batch unhealthy nodes first and the leader
 * last (others keep their order); across batches, those holding unhealthy
 * nodes first and the one holding the leader last (others keep their order).
 * Batch ids are renumbered in the new order; each moved node is explained.
 */
export function orderByRoles(step: NodeWorkflowStep, roles: NodeRoles): void {
  const unhealthy = new Set(roles.unhealthy);
  const rank = (id: string) => (unhealthy.has(id) ? 0 : id === roles.leader ? 2 : 1);
  const batchRank = (b: PlanBatch) => (b.nodes.some((n) => unhealthy.has(n)) ? 0 : roles.leader !== undefined && b.nodes.includes(roles.leader) ? 2 : 1);
  const sorted = step.batches
    .map((b, i) => ({ b, i }))
    .sort((x, y) => batchRank(x.b) - batchRank(y.b) || x.i - y.i)
    .map(({ b }) => b);
  step.batches = sorted.map((b, i) => {
    const nodes = b.nodes
      .map((n, j) => ({ n, j }))
      .sort((x, y) => rank(x.n) - rank(y.n) || x.j - y.j)
      .map(({ n }) => n);
    const notes: string[] = [];
    const sick = nodes.filter((n) => unhealthy.has(n));
    if (sick.length > 0) notes.push(`unhealthy first: ${sick.join(', ')}`);
    if (roles.leader !== undefined && nodes.includes(roles.leader)) notes.push(`group0 leader last: ${roles.leader}`);
    const out: PlanBatch = { ...b, id: `${step.id}/b${i}`, nodes };
    if (notes.length > 0) out.reason = [b.reason, notes.join('; ')].filter(Boolean).join('; ');
    return out;
  });
  step.roles = { unhealthy: [...roles.unhealthy], ...(roles.leader !== undefined ? { leader: roles.leader } : {}), ...(roles.source ? { source: roles.source } : {}) };
}
