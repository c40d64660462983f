import { finishGlobalRequest, StepError, type Draft, type Mutable } from './topology-draft.js';
import type { SubmitGlobalCommand } from './topology-command.js';
import type { GlobalTopologyRequest, TopologyNode, TopologyState } from './topology-types.js';
import { GLOBAL_REQUEST_KINDS } from './topology-types.js';

/**
 * The nodes a `cleanup` cleans: members whose cleanup is `needed` (they lost ranges in a
 * join or a rollback) and that are not being removed or replaced (ignored), sorted.
 */
export function nodesNeedingCleanup(state: Pick<TopologyState, 'nodes' | 'ignoredNodes'>): TopologyNode[] {
  return Object.values(state.nodes)
    .filter((n) => n.cleanup === 'needed' && n.state !== 'left' && n.state !== 'none' && !state.ignoredNodes.includes(n.id))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Admits a global request into `d` (the draft of `state`): a `cleanup` while another cleanup
 * is queued or running is rejected `duplicate_request`; `noop` is always admitted.
 * Returns the recorded request (status `pending` or `rejected`).
 */
export function admitGlobalRequest(state: TopologyState, d: Draft, cmd: SubmitGlobalCommand): Mutable<GlobalTopologyRequest> {
  if (!(GLOBAL_REQUEST_KINDS as readonly string[]).includes(cmd.kind)) {
    throw new StepError('invalid_command', `submit_global: unknown global request kind ${JSON.stringify(cmd.kind)}; use ${GLOBAL_REQUEST_KINDS.join(' or ')}`);
  }
  const seq = d.nextSeq++;
  const id = cmd.requestId ?? `greq-${seq}`;
  const r: Mutable<GlobalTopologyRequest> = { id, kind: cmd.kind, status: 'pending', seq };
  if (cmd.initiator !== undefined) r.initiator = cmd.initiator;
  if (cmd.at !== undefined) r.createdAt = cmd.at;
  const open = state.globalQueue.map((q) => state.globalRequests[q]).find((q) => q?.kind === cmd.kind);
  if (cmd.kind === 'cleanup' && open) {
    r.status = 'rejected';
    r.code = 'duplicate_request';
    r.reason = `cleanup: cleanup request ${open.id} is already ${open.status}; wait for its outcome`;
    if (cmd.at !== undefined) r.endedAt = cmd.at;
  } else {
    d.globalQueue.push(id);
  }
  d.globalRequests[id] = r;
  return r;
}

/**
 * Starts a pending global request; only when no node operation and no other global request
 * is in progress. `cleanup` marks the nodes that need it `running` and records them on the
 * request (it ends `done` at once when none does); `noop` ends `done` at once.
 */
export function startGlobalRequest(d: Draft, r: Mutable<GlobalTopologyRequest>, at: number | undefined): void {
  if (r.status !== 'pending') throw new StepError('illegal_step', `start_global: ${r.id} is ${r.status}`);
  if (d.transition || d.tstate) throw new StepError('illegal_step', `start_global: ${d.transition?.requestId ?? 'an operation'} is in progress`);
  if (d.globalRequest !== null) throw new StepError('illegal_step', `start_global: global request ${d.globalRequest} is in progress`);
  r.status = 'running';
  if (at !== undefined) r.startedAt = at;
  if (r.kind === 'noop') {
    finishGlobalRequest(d, r, 'done', at);
    return;
  }
  const nodes = nodesNeedingCleanup(d);
  r.nodes = nodes.map((n) => n.id);
  if (nodes.length === 0) {
    finishGlobalRequest(d, r, 'done', at);
    return;
  }
  for (const n of nodes) d.nodes[n.id]!.cleanup = 'running';
  d.globalRequest = r.id;
}

/**
 * Ends the running global request: its `cleaned` nodes become `clean`, its other nodes still
 * `running` go back to `needed`; the request ends `done`, or `failed` with `error`.
 */
export function finishGlobalRequestStep(d: Draft, r: Mutable<GlobalTopologyRequest>, cleaned: readonly string[], error: string | undefined, at: number | undefined): void {
  if (d.globalRequest !== r.id) throw new StepError('illegal_step', `finish_global: ${r.id} is not the global request in progress`);
  if (!Array.isArray(cleaned)) throw new StepError('invalid_command', 'finish_global: cleaned must be a list of node ids');
  for (const id of r.nodes ?? []) {
    const n = d.nodes[id];
    if (n?.cleanup !== 'running') continue;
    n.cleanup = cleaned.includes(id) ? 'clean' : 'needed';
  }
  if (error === undefined) finishGlobalRequest(d, r, 'done', at);
  else finishGlobalRequest(d, r, 'failed', at, error);
}
