import { reservedTokens } from './topology-admission.js';
import { deriveTokens } from './topology-initial-state.js';
import { finishRequest, JOINING, setNodeState, StepError, type Draft, type Mutable } from './topology-draft.js';
import type { SagaStep } from './topology-command.js';
import type { NodeState, TopologyNode, TopologyRequest, TransitionState } from './topology-types.js';

/** Applies a `start` step to `d`: the pending request becomes the operation in progress. */
export function applyStart(d: Draft, r: Mutable<TopologyRequest>, at: number | undefined): void {
  if (r.status !== 'pending') throw new StepError('illegal_step', `start: ${r.id} is ${r.status}`);
  if (d.transition || d.tstate) throw new StepError('illegal_step', `start: ${d.transition?.requestId ?? 'an operation'} is in progress`);
  if (d.globalRequest !== null) throw new StepError('illegal_step', `start: global request ${d.globalRequest} is in progress`);
  const node = d.nodes[r.nodeId];
  const expect = (state: NodeState, n: Mutable<TopologyNode> | undefined = node): Mutable<TopologyNode> => {
    if (!n || n.state !== state) throw new StepError('illegal_step', `start ${r.kind}: node ${n?.id ?? r.nodeId} is ${n?.state ?? 'unknown'}, expected ${state}`);
    return n;
  };
  switch (r.kind) {
    case 'join':
      expect('none').state = 'bootstrapping';
      d.tstate = 'join_group0';
      break;
    case 'replace':
      expect('normal', d.nodes[r.params.replacedId ?? '']);
      expect('none').state = 'replacing';
      d.tstate = 'join_group0';
      break;
    case 'leave':
    case 'remove':
      expect('normal').state = r.kind === 'leave' ? 'decommissioning' : 'removing';
      d.tstate = 'write_both_read_old';
      d.version++;
      d.session++;
      break;
    case 'rebuild':
      expect('normal').state = 'rebuilding';
      d.session++;
      break;
  }
  r.status = 'running';
  if (at !== undefined) r.startedAt = at;
  d.transition = { requestId: r.id, kind: r.kind, nodeId: r.nodeId };
}

/** A streaming step carries the session its streams ran in; an older session cannot complete a newer operation. */
function checkSession(d: Draft, step: { readonly kind: string; readonly requestId: string; readonly session?: number }): void {
  if (step.session === undefined || step.session === d.session) return;
  throw new StepError(
    'stale_session',
    `${step.kind} for ${step.requestId}: its streams ran in session ${step.session}, but the current streaming session is ${d.session}; the stale result is ignored`,
  );
}

/**
 * Applies one saga step of the operation in progress to `d`. Returns false when the step is a
 * permitted no-op (a fence already at that version); throws {@link StepError} when it does not apply.
 */
export function applySagaStep(d: Draft, step: SagaStep, r: Mutable<TopologyRequest>, node: Mutable<TopologyNode>, at: number | undefined): boolean {
  const t = d.transition!;
  const from = (...allowed: (TransitionState | null)[]): void => {
    if (!allowed.includes(d.tstate)) {
      throw new StepError('illegal_step', `step ${step.kind} for ${r.id}: transition state is ${d.tstate ?? 'none'}, expected ${allowed.map((a) => a ?? 'none').join(' or ')}`);
    }
  };
  const joining = JOINING.includes(t.kind);
  switch (step.kind) {
    case 'accept_node': {
      from('join_group0');
      if (t.kind === 'join') {
        const taken = new Set(Object.values(d.nodes).flatMap((n) => n.tokens));
        for (const [tok, by] of reservedTokens(d)) if (by !== r.id) taken.add(tok);
        node.tokens = r.params.tokens ? [...r.params.tokens].sort((a, b) => a - b) : deriveTokens(node.id, node.numTokens, taken);
        d.tstate = 'commit_cdc_generation';
      } else {
        const old = d.nodes[r.params.replacedId!]!;
        node.tokens = [...old.tokens];
        node.numTokens = old.numTokens;
        d.tstate = 'write_both_read_old';
        d.version++;
        d.session++;
      }
      break;
    }
    case 'commit_cdc':
      from('commit_cdc_generation');
      d.tstate = 'write_both_read_old';
      d.version++;
      d.session++;
      break;
    case 'fence': {
      if (!Number.isSafeInteger(step.version) || step.version > d.version || step.version < d.fenceVersion) {
        throw new StepError('illegal_step', `fence: version ${step.version} outside [fenceVersion ${d.fenceVersion}, version ${d.version}]`);
      }
      if (step.version === d.fenceVersion) {
        return false;
      }
      d.fenceVersion = step.version;
      break;
    }
    case 'streamed':
      from('write_both_read_old');
      if (t.rollbackReason !== undefined) throw new StepError('illegal_step', `streamed: ${r.id} is rolling back`);
      checkSession(d, step);
      d.tstate = 'write_both_read_new';
      d.version++;
      d.session++;
      break;
    case 'finish_write_both':
      from('write_both_read_new');
      d.version++;
      if (joining) {
        node.state = 'normal';
        if (t.kind === 'replace') {
          const old = d.nodes[r.params.replacedId!]!;
          setNodeState(old, 'left');
          d.ignoredNodes = d.ignoredNodes.filter((id) => id !== old.id);
        } else {
          for (const n of Object.values(d.nodes)) if (n.state === 'normal' && n.id !== node.id) n.cleanup = 'needed';
        }
        d.tstate = null;
        d.transition = null;
        finishRequest(d, r, 'done', at);
      } else {
        node.tokens = [];
        d.tstate = 'left_token_ring';
      }
      break;
    case 'finish_left':
      from('left_token_ring');
      setNodeState(node, 'left');
      d.ignoredNodes = d.ignoredNodes.filter((id) => id !== node.id && id !== r.params.replacedId);
      d.tstate = null;
      d.transition = null;
      if (t.rollbackReason !== undefined) finishRequest(d, r, 'failed', at, `Rolled back: ${t.rollbackReason}`);
      else finishRequest(d, r, 'done', at);
      break;
    case 'rollback': {
      if (t.rollbackReason !== undefined) throw new StepError('illegal_step', `rollback: ${r.id} is already rolling back`);
      if (joining) {
        from('join_group0', 'commit_cdc_generation', 'write_both_read_old', 'write_both_read_new');
        node.tokens = [];
        d.tstate = 'left_token_ring';
      } else if (t.kind === 'leave' || t.kind === 'remove') {
        // From write_both_read_new too (a barrier that kept failing): writes still reach the
        // leaving node's replicas, so reads can return to them.
        from('write_both_read_old', 'write_both_read_new');
        d.tstate = 'rollback_to_normal';
      } else {
        throw new StepError('illegal_step', 'rollback: a rebuild is not rolled back; finish it with an error');
      }
      for (const n of Object.values(d.nodes)) if (n.state === 'normal') n.cleanup = 'needed';
      d.version++;
      d.transition = { ...t, rollbackReason: step.reason };
      break;
    }
    case 'finish_rollback':
      from('rollback_to_normal');
      node.state = 'normal';
      d.ignoredNodes = d.ignoredNodes.filter((id) => id !== node.id);
      d.tstate = null;
      d.transition = null;
      finishRequest(d, r, 'failed', at, `Rolled back: ${t.rollbackReason ?? 'unknown reason'}`);
      break;
    case 'finish_rebuild':
      from(null);
      if (t.kind !== 'rebuild') throw new StepError('illegal_step', `finish_rebuild: ${r.id} is a ${t.kind}`);
      checkSession(d, step);
      node.state = 'normal';
      d.transition = null;
      if (step.error === undefined) finishRequest(d, r, 'done', at);
      else finishRequest(d, r, 'failed', at, step.error);
      break;
    default:
      throw new StepError('invalid_command', `unknown step ${JSON.stringify((step as { kind?: unknown }).kind)}`);
  }
  return true;
}
