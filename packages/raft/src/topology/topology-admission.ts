import type { TopologyTestingKnobs } from './topology-testing-knobs.js';
import type { SubmitCommand, TopologyRequestSpec } from './topology-command.js';
import type { RejectionCode, TopologyNode, TopologyRequest, TopologyState } from './topology-types.js';

/** Why a request cannot be admitted or started. */
export interface Rejection {
  readonly code: RejectionCode;
  readonly reason: string;
}

function reject(code: RejectionCode, reason: string): Rejection {
  return { code, reason };
}

/** Requests still pending or running, in admission order. */
export function openRequests(state: TopologyState): TopologyRequest[] {
  const out: TopologyRequest[] = [];
  for (const id of state.queue) {
    const r = state.requests[id];
    if (r) out.push(r);
  }
  return out;
}

/** The nodes an open request is about: its node and, for replace, the replaced node. */
function touched(r: TopologyRequest): string[] {
  return r.params.replacedId === undefined ? [r.nodeId] : [r.nodeId, r.params.replacedId];
}

/** Normal nodes other than `except`. */
function otherNormalNodes(state: TopologyState, except: string): TopologyNode[] {
  return Object.values(state.nodes).filter((n) => n.state === 'normal' && n.id !== except);
}

/**
 * Dead nodes that would block an operation: observed dead, not ignored, not
 * `left`/`none`, and not one of `exempt`.
 */
export function blockingDeadNodes(
  state: TopologyState,
  isAlive: (nodeId: string) => boolean,
  exempt: readonly string[],
): string[] {
  return Object.values(state.nodes)
    .filter((n) => n.state !== 'left' && n.state !== 'none')
    .filter((n) => !state.ignoredNodes.includes(n.id) && !exempt.includes(n.id))
    .filter((n) => !isAlive(n.id))
    .map((n) => n.id)
    .sort();
}

function checkNewNode(state: TopologyState, spec: TopologyRequestSpec & { node: { id: string } }): Rejection | null {
  const node = spec.node as { id: string; address?: unknown; dc?: unknown; rack?: unknown; numTokens?: unknown } | undefined;
  if (!node || typeof node !== 'object') return reject('invalid_request', `${spec.kind}: node is required`);
  if (typeof node.id !== 'string' || node.id === '') return reject('invalid_request', `${spec.kind}: node.id must be a non-empty string`);
  for (const key of ['address', 'dc', 'rack'] as const) {
    if (typeof node[key] !== 'string' || node[key] === '') {
      return reject('invalid_request', `${spec.kind} of ${node.id}: node.${key} must be a non-empty string`);
    }
  }
  if (node.numTokens !== undefined && (!Number.isInteger(node.numTokens) || (node.numTokens as number) < 1 || (node.numTokens as number) > 4096)) {
    return reject('invalid_request', `${spec.kind} of ${node.id}: numTokens must be an integer in [1, 4096]`);
  }
  const existing = state.nodes[node.id];
  if (existing?.state === 'left') {
    return reject('node_left', `${spec.kind} of ${node.id}: the node left the cluster and can never return; give it a new host id (clear its data directory)`);
  }
  if (existing) {
    const open = openRequests(state).some((r) => r.nodeId === node.id);
    return open
      ? reject('duplicate_request', `${spec.kind} of ${node.id}: a request for this node is already queued or running`)
      : reject('duplicate_node', `${spec.kind} of ${node.id}: a node with this id is already a member (state ${existing.state})`);
  }
  return null;
}

/**
 * Tokens asked for explicitly by joins that are queued or running and do not own them yet:
 * token → request id. Admission refuses them to other joins, and derived tokens avoid them.
 */
export function reservedTokens(state: TopologyState): Map<number, string> {
  const out = new Map<number, string>();
  for (const r of openRequests(state)) {
    if (r.kind !== 'join' || !r.params.tokens) continue;
    for (const t of r.params.tokens) out.set(t, r.id);
  }
  return out;
}

function checkExisting(state: TopologyState, kind: string, nodeId: unknown): Rejection | TopologyNode {
  if (typeof nodeId !== 'string' || nodeId === '') return reject('invalid_request', `${kind}: nodeId must be a non-empty string`);
  const node = state.nodes[nodeId];
  if (!node) return reject('unknown_node', `${kind} of ${nodeId}: no such node in the topology; check the host id`);
  if (node.state === 'left') return reject('node_left', `${kind} of ${nodeId}: the node already left the cluster`);
  return node;
}

function checkOpenConflicts(state: TopologyState, kind: string, nodeId: string, knobs?: TopologyTestingKnobs): Rejection | null {
  for (const r of openRequests(state)) {
    if (!touched(r).includes(nodeId)) continue;
    // A replace cancels pending leave/rebuild requests on the replaced node instead.
    if (kind === 'replace' && r.status === 'pending' && (r.kind === 'leave' || r.kind === 'rebuild')) continue;
    if (r.kind === kind) return reject('duplicate_request', `${kind} of ${nodeId}: the same request is already queued or running (${r.id})`);
    if (knobs?.skipConflictCheck) continue; // mutation test only
    return reject('conflicting_request', `${kind} of ${nodeId}: ${r.kind} request ${r.id} for this node is already queued or running; wait for its outcome`);
  }
  return null;
}

function checkDeadCluster(state: TopologyState, kind: string, target: string, live: (id: string) => boolean): Rejection | null {
  if (live(target)) {
    return reject('target_alive', `${kind} of ${target}: the node is alive; ${kind === 'remove' ? 'decommission it instead' : 'stop it before replacing it'}`);
  }
  const aliveIgnored = state.ignoredNodes.filter((id) => id !== target && live(id));
  if (aliveIgnored.length > 0) return reject('ignored_node_alive', `${kind} of ${target}: ignored node(s) ${aliveIgnored.join(', ')} are alive`);
  const down = blockingDeadNodes(state, live, [target]);
  if (down.length > 0) {
    return reject('nodes_down', `${kind} of ${target}: other node(s) ${down.join(', ')} are down and not ignored; bring them back or remove them first`);
  }
  return null;
}

/**
 * Admission: whether `cmd` may be queued on `state`. Pure; called by the state
 * machine when the submit command is applied, so concurrent clients are
 * linearized by the log.
 */
export function checkAdmission(state: TopologyState, cmd: SubmitCommand, knobs?: TopologyTestingKnobs): Rejection | null {
  const spec = cmd.request as TopologyRequestSpec | undefined;
  const liveness = cmd.liveness ?? {};
  const live = (id: string): boolean => liveness[id] !== false;
  if (!spec || typeof spec !== 'object') return reject('invalid_request', 'submit: request is missing');
  switch (spec.kind) {
    case 'join': {
      const bad = checkNewNode(state, spec);
      if (bad) return bad;
      if (spec.tokens !== undefined) {
        if (!Array.isArray(spec.tokens) || spec.tokens.length === 0 || !spec.tokens.every((t) => Number.isSafeInteger(t))) {
          return reject('invalid_request', `join of ${spec.node.id}: tokens must be a non-empty list of integers`);
        }
        const twice = spec.tokens.filter((t, i) => spec.tokens!.indexOf(t) !== i);
        if (twice.length > 0) {
          return reject('invalid_request', `join of ${spec.node.id}: token(s) ${[...new Set(twice)].join(', ')} appear more than once; list each token once`);
        }
        const owned = new Set(Object.values(state.nodes).flatMap((n) => n.tokens));
        const taken = spec.tokens.filter((t) => owned.has(t));
        if (taken.length > 0) return reject('invalid_request', `join of ${spec.node.id}: token(s) ${taken.join(', ')} are already owned`);
        const reserved = reservedTokens(state);
        const clash = spec.tokens.filter((t) => reserved.has(t));
        if (clash.length > 0) {
          const by = [...new Set(clash.map((t) => reserved.get(t)))].join(', ');
          return reject('invalid_request', `join of ${spec.node.id}: token(s) ${clash.join(', ')} are asked for by queued or running join ${by}; choose other tokens`);
        }
      }
      return null;
    }
    case 'replace': {
      const bad = checkNewNode(state, spec);
      if (bad) return bad;
      const old = checkExisting(state, 'replace', spec.replacedId);
      if ('code' in old) return old;
      const conflict = checkOpenConflicts(state, 'replace', old.id, knobs);
      if (conflict) return conflict;
      if (old.state !== 'normal') return reject('not_normal', `replace of ${old.id}: the node is ${old.state}, only a normal node can be replaced`);
      if (old.dc !== spec.node.dc || old.rack !== spec.node.rack) {
        return reject(
          'dc_rack_mismatch',
          `replace of ${old.id} by ${spec.node.id}: ${spec.node.dc}/${spec.node.rack} differs from ${old.dc}/${old.rack}; start the new node in the same dc and rack`,
        );
      }
      return checkDeadCluster(state, 'replace', old.id, live);
    }
    case 'remove': {
      const node = checkExisting(state, 'remove', spec.nodeId);
      if ('code' in node) return node;
      const conflict = checkOpenConflicts(state, 'remove', node.id, knobs);
      if (conflict) return conflict;
      if (node.state !== 'normal') return reject('not_normal', `remove of ${node.id}: the node is ${node.state}, only a normal node can be removed`);
      if (openRequests(state).some((r) => r.kind === 'remove')) {
        return reject('concurrent_removal', `remove of ${node.id}: another removal is already queued or running; retry after it ends`);
      }
      if (otherNormalNodes(state, node.id).length === 0) return reject('last_node', `remove of ${node.id}: it is the last normal node`);
      return checkDeadCluster(state, 'remove', node.id, live);
    }
    case 'leave':
    case 'rebuild': {
      const node = checkExisting(state, spec.kind, spec.nodeId);
      if ('code' in node) return node;
      const conflict = checkOpenConflicts(state, spec.kind, node.id, knobs);
      if (conflict) return conflict;
      if (node.state !== 'normal') return reject('not_normal', `${spec.kind} of ${node.id}: the node is ${node.state}, not normal`);
      if (spec.kind === 'leave' && otherNormalNodes(state, node.id).length === 0) {
        return reject('last_node', `leave of ${node.id}: it is the last normal node (the last token owner) and cannot decommission`);
      }
      return null;
    }
    default:
      return reject('invalid_request', `submit: unknown request kind ${JSON.stringify((spec as { kind?: unknown }).kind)}`);
  }
}

/**
 * Whether a queued request can start now (the coordinator's check before the
 * `start` step). Returns the rejection to record when it never can, or
 * `null` when it may start. `isAlive` is the coordinator's failure detector.
 */
export function checkStart(state: TopologyState, request: TopologyRequest, isAlive: (nodeId: string) => boolean): Rejection | null {
  const node = state.nodes[request.nodeId];
  if (!node) return reject('unknown_node', `${request.kind} of ${request.nodeId}: the node is gone from the topology`);
  if (!isAlive(request.nodeId) && request.kind !== 'remove') {
    return reject('node_down', `${request.kind} of ${request.nodeId}: the node is down, so the request cannot start`);
  }
  if (request.kind === 'rebuild' || request.kind === 'leave') {
    if (node.state !== 'normal') return reject('not_normal', `${request.kind} of ${node.id}: the node is ${node.state}, not normal`);
    if (request.kind === 'leave' && otherNormalNodes(state, node.id).length === 0) {
      return reject('last_node', `leave of ${node.id}: it is the last normal node and cannot decommission`);
    }
  }
  if (request.kind === 'remove') {
    if (node.state !== 'normal') return reject('not_normal', `remove of ${node.id}: the node is ${node.state}, not normal`);
    if (otherNormalNodes(state, node.id).length === 0) return reject('last_node', `remove of ${node.id}: it is the last normal node`);
  }
  if (request.kind === 'replace') {
    const old = state.nodes[request.params.replacedId ?? ''];
    if (!old || old.state !== 'normal') {
      return reject('not_normal', `replace of ${request.params.replacedId}: the replaced node is ${old?.state ?? 'unknown'}, not normal`);
    }
  }
  if (request.kind === 'rebuild') return null;
  const exempt = [request.nodeId, ...(request.params.replacedId ? [request.params.replacedId] : [])];
  const down = blockingDeadNodes(state, isAlive, request.kind === 'remove' ? exempt : [request.nodeId]);
  if (down.length > 0) {
    return reject('nodes_down', `${request.kind} of ${request.nodeId}: node(s) ${down.join(', ')} are down and not ignored; bring them back or remove them`);
  }
  return null;
}
