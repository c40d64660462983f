import { checkAdmission, reservedTokens } from './topology-admission.js';
import type { TopologyTestingKnobs } from './topology-testing-knobs.js';
import type {
  AbortRequestCommand,
  CommandFailureCode,
  FenceCoordinatorCommand,
  SagaStep,
  StepCommand,
  SubmitCommand,
  TopologyCommand,
  TopologyCommandResult,
} from './topology-command.js';
import type {
  NodeState,
  RejectionCode,
  RequestKind,
  TopologyNode,
  TopologyRequest,
  TopologyState,
  TransitionState,
} from './topology-types.js';
import { isFinalStatus } from './topology-types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Draft = Mutable<Omit<TopologyState, 'nodes' | 'requests' | 'queue' | 'ignoredNodes'>> & {
  nodes: Record<string, Mutable<TopologyNode>>;
  requests: Record<string, Mutable<TopologyRequest>>;
  queue: string[];
  ignoredNodes: string[];
};

/** A member of the initial cluster, already `normal`. */
export interface InitialNode {
  readonly id: string;
  readonly address: string;
  readonly dc: string;
  readonly rack: string;
  /** Tokens to own; when absent, `numTokens` tokens derived from the id. */
  readonly tokens?: readonly number[];
  /** @default 8 */
  readonly numTokens?: number;
}

/** Options of {@link TopologyStateMachine}. */
export interface TopologyStateMachineOptions {
  /** Normal nodes the cluster starts with (every replica must be given the same list). @default [] */
  readonly initialNodes?: readonly InitialNode[];
  /**
   * A state to start from instead of the one built from {@link initialNodes}, e.g. one
   * {@link initialTopologyState} shared by many replicas (states are never mutated, so sharing is
   * safe). @default initialTopologyState(initialNodes)
   */
  readonly initialState?: TopologyState;
  /** Final requests kept for outcome queries; older ones are pruned by admission order. @default 1000 */
  readonly maxFinishedRequests?: number;
  /** Deliberate defects for mutation tests. @default none */
  readonly testingKnobs?: TopologyTestingKnobs;
}

/** Called after every applied command with the command, its result and the new state. */
export type TopologyApplyListener = (command: TopologyCommand, result: TopologyCommandResult, state: TopologyState) => void;

/** Default number of tokens per node. */
export const DEFAULT_NUM_TOKENS = 8;

function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h | 0;
}

/**
 * Tokens for a node, derived from its id so that every replica computes the
 * same ones; a token already in `taken` is re-drawn. Integers in [-2^31, 2^31).
 */
export function deriveTokens(nodeId: string, count: number, taken: ReadonlySet<number>): number[] {
  const out = new Set<number>();
  for (let i = 0, salt = 0; out.size < count; i++) {
    const t = hash32(`${nodeId}#${i}#${salt}`);
    if (taken.has(t) || out.has(t)) {
      salt++;
      continue;
    }
    out.add(t);
  }
  return [...out].sort((a, b) => a - b);
}

/** The state of a cluster with the given normal nodes, version 1, fence version 1. */
export function initialTopologyState(nodes: readonly InitialNode[] = []): TopologyState {
  const taken = new Set<number>();
  const map: Record<string, TopologyNode> = {};
  for (const n of nodes) {
    const numTokens = n.numTokens ?? n.tokens?.length ?? DEFAULT_NUM_TOKENS;
    const tokens = n.tokens ? [...n.tokens].sort((a, b) => a - b) : deriveTokens(n.id, numTokens, taken);
    for (const t of tokens) taken.add(t);
    map[n.id] = { id: n.id, address: n.address, dc: n.dc, rack: n.rack, tokens, state: 'normal', numTokens, cleanup: 'clean' };
  }
  return {
    version: 1,
    fenceVersion: 1,
    stateId: 0,
    coordinatorTerm: 0,
    tstate: null,
    transition: null,
    session: 0,
    nodes: map,
    requests: {},
    queue: [],
    ignoredNodes: [],
    nextSeq: 1,
  };
}

class StepError {
  constructor(
    readonly code: CommandFailureCode,
    readonly reason: string,
  ) {}
}

const JOINING: readonly RequestKind[] = ['join', 'replace'];

/**
 * The replicated topology state machine: pure and deterministic. Every replica
 * applies the same commands in log order and ends in the same state. Commands
 * are validated against the state they are applied to; a command that does not
 * apply leaves the state untouched and returns `{ ok: false, code, reason }`.
 */
export class TopologyStateMachine {
  #state: TopologyState;
  readonly #maxFinished: number;
  readonly #listeners = new Set<TopologyApplyListener>();

  readonly #knobs: TopologyTestingKnobs | undefined;

  constructor(options: TopologyStateMachineOptions = {}) {
    this.#state = options.initialState ?? initialTopologyState(options.initialNodes);
    this.#maxFinished = options.maxFinishedRequests ?? 1000;
    this.#knobs = options.testingKnobs;
  }

  /** The current state (immutable; a new object after every change). */
  get state(): TopologyState {
    return this.#state;
  }

  /** Subscribes to applied commands; returns the unsubscribe function. */
  onApply(listener: TopologyApplyListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A deep copy of the state as plain JSON. */
  snapshot(): TopologyState {
    return structuredClone(this.#state);
  }

  /** Replaces the state with a snapshot taken by {@link snapshot} (on any replica). */
  restore(snapshot: TopologyState): void {
    if (!snapshot || typeof snapshot.version !== 'number' || typeof snapshot.nodes !== 'object') {
      throw new TypeError('TopologyStateMachine.restore: not a topology snapshot (missing version or nodes)');
    }
    this.#state = structuredClone(snapshot);
  }

  /** Applies one committed command and returns its result. Never throws for a well-formed or malformed command. */
  apply(command: TopologyCommand): TopologyCommandResult {
    const result = this.#apply(command);
    for (const l of this.#listeners) l(command, result, this.#state);
    return result;
  }

  #apply(command: TopologyCommand): TopologyCommandResult {
    const s = this.#state;
    if (!command || typeof command !== 'object') return this.#fail('invalid_command', 'command must be an object');
    try {
      switch (command.type) {
        case 'submit':
          return this.#submit(command);
        case 'fence_coordinator':
          return this.#fenceCoordinator(command);
        case 'abort_request':
          return this.#abort(command);
        case 'step':
          return this.#step(command);
        default:
          return this.#fail('invalid_command', `unknown command type ${JSON.stringify((command as { type?: unknown }).type)}`);
      }
    } catch (e) {
      if (e instanceof StepError) return this.#fail(e.code, e.reason);
      this.#state = s;
      throw e;
    }
  }

  #fail(code: CommandFailureCode, reason: string, extra: { request?: TopologyRequest; rejection?: RejectionCode } = {}): TopologyCommandResult {
    return { ok: false, code, reason, stateId: this.#state.stateId, version: this.#state.version, ...extra };
  }

  #commit(d: Draft, extra: { request?: TopologyRequest } = {}): TopologyCommandResult {
    d.stateId++;
    this.#prune(d);
    this.#state = d;
    return { ok: true, changed: true, stateId: d.stateId, version: d.version, ...extra };
  }

  /** A copy to mutate: nodes and open requests are copied, final requests are shared (never mutated). */
  #draft(): Draft {
    const s = this.#state;
    const nodes: Record<string, Mutable<TopologyNode>> = {};
    for (const [k, n] of Object.entries(s.nodes)) nodes[k] = { ...n };
    const requests: Record<string, Mutable<TopologyRequest>> = { ...s.requests };
    for (const id of s.queue) requests[id] = { ...s.requests[id]! };
    return { ...s, nodes, requests, queue: [...s.queue], ignoredNodes: [...s.ignoredNodes] };
  }

  #prune(d: Draft): void {
    const finished = Object.values(d.requests).filter((r) => isFinalStatus(r.status));
    if (finished.length <= this.#maxFinished) return;
    finished.sort((a, b) => a.seq - b.seq);
    for (const r of finished.slice(0, finished.length - this.#maxFinished)) delete d.requests[r.id];
  }

  #submit(cmd: SubmitCommand): TopologyCommandResult {
    const s = this.#state;
    if (cmd.requestId !== undefined) {
      const existing = s.requests[cmd.requestId];
      if (existing) return { ok: true, changed: false, existing: true, stateId: s.stateId, version: s.version, request: existing };
    }
    const d = this.#draft();
    const seq = d.nextSeq++;
    const id = cmd.requestId ?? `req-${seq}`;
    const spec = cmd.request;
    const rejection = checkAdmission(s, cmd, this.#knobs);
    const nodeId = spec && (spec.kind === 'join' || spec.kind === 'replace') ? spec.node?.id : (spec as { nodeId?: string })?.nodeId;
    const kind = (spec?.kind ?? 'join') as RequestKind;
    const params: Mutable<TopologyRequest['params']> = {};
    if (spec?.kind === 'join' && spec.tokens) params.tokens = [...spec.tokens];
    if (spec?.kind === 'replace') params.replacedId = spec.replacedId;
    if (spec?.kind === 'rebuild' && spec.sourceDc !== undefined) params.sourceDc = spec.sourceDc;
    const request: Mutable<TopologyRequest> = { id, kind, nodeId: String(nodeId ?? ''), params, status: 'pending', seq };
    if (rejection) {
      request.status = 'rejected';
      request.code = rejection.code;
      request.reason = rejection.reason;
      d.requests[id] = request;
      d.stateId++;
      this.#prune(d);
      this.#state = d;
      return this.#fail('rejected', rejection.reason, { request, rejection: rejection.code });
    }
    d.requests[id] = request;
    d.queue.push(id);
    if (spec.kind === 'join' || spec.kind === 'replace') {
      const n = spec.node;
      d.nodes[n.id] = {
        id: n.id,
        address: n.address,
        dc: n.dc,
        rack: n.rack,
        tokens: [],
        state: 'none',
        numTokens: spec.kind === 'join' && spec.tokens ? spec.tokens.length : (n.numTokens ?? DEFAULT_NUM_TOKENS),
        cleanup: 'clean',
      };
    }
    if (spec.kind === 'replace' || spec.kind === 'remove') {
      const target = spec.kind === 'replace' ? spec.replacedId : spec.nodeId;
      if (!d.ignoredNodes.includes(target)) d.ignoredNodes.push(target);
      // A pending, not-yet-started request on the replaced node can never run.
      if (spec.kind === 'replace') {
        for (const rid of [...d.queue]) {
          const r = d.requests[rid]!;
          if (r.nodeId === target && r.status === 'pending') {
            this.#finish(d, r, 'rejected', 'node was replaced before the request could start', 'replaced');
          }
        }
      }
    }
    return this.#commit(d, { request });
  }

  #fenceCoordinator(cmd: FenceCoordinatorCommand): TopologyCommandResult {
    if (!Number.isSafeInteger(cmd.term) || cmd.term < 0) return this.#fail('invalid_command', 'fence_coordinator: term must be a non-negative integer');
    if (cmd.term < this.#state.coordinatorTerm) {
      return this.#fail('stale_term', `fence_coordinator: term ${cmd.term} is older than the fenced term ${this.#state.coordinatorTerm}`);
    }
    const d = this.#draft();
    d.coordinatorTerm = cmd.term;
    return this.#commit(d);
  }

  #abort(cmd: AbortRequestCommand): TopologyCommandResult {
    const d = this.#draft();
    const r = d.requests[cmd.requestId];
    if (!r) return this.#fail('unknown_request', `abort_request: no request ${cmd.requestId}`);
    if (r.status !== 'pending') return this.#fail('illegal_step', `abort_request: ${cmd.requestId} is ${r.status}; only pending requests can be aborted`);
    if (JOINING.includes(r.kind)) return this.#fail('illegal_step', `abort_request: ${r.kind} requests cannot be aborted`);
    this.#finish(d, r, 'rejected', 'aborted by the user', 'aborted');
    return this.#commit(d, { request: r });
  }

  #finish(d: Draft, r: Mutable<TopologyRequest>, status: 'done' | 'failed' | 'rejected', reason?: string, code?: RejectionCode): void {
    r.status = status;
    if (reason !== undefined) r.reason = reason;
    if (code !== undefined) r.code = code;
    d.queue = d.queue.filter((id) => id !== r.id);
    if (status === 'rejected') {
      const node = d.nodes[r.nodeId];
      if (JOINING.includes(r.kind) && node?.state === 'none') this.#setState(node, 'left');
      const target = r.kind === 'remove' ? r.nodeId : r.params.replacedId;
      if (target !== undefined) d.ignoredNodes = d.ignoredNodes.filter((id) => id !== target);
    }
  }

  #setState(node: Mutable<TopologyNode>, state: NodeState): void {
    node.state = state;
    if (state === 'left') node.tokens = [];
  }

  #step(cmd: StepCommand): TopologyCommandResult {
    const s = this.#state;
    const { guard, step } = cmd;
    if (!guard || !step) return this.#fail('invalid_command', 'step: guard and step are required');
    if (guard.term < s.coordinatorTerm) {
      return this.#fail('stale_term', `step ${step.kind}: coordinator term ${guard.term} was fenced by term ${s.coordinatorTerm}`);
    }
    if (guard.stateId !== s.stateId) {
      return this.#fail('concurrent_modification', `step ${step.kind}: decided on state ${guard.stateId}, but the state is now ${s.stateId}`);
    }
    const d = this.#draft();
    const r = d.requests[step.requestId];
    if (!r) throw new StepError('unknown_request', `step ${step.kind}: no request ${step.requestId}`);
    if (step.kind === 'start') return this.#start(d, r);
    if (step.kind === 'reject_request') {
      if (r.status !== 'pending') throw new StepError('illegal_step', `reject_request: ${r.id} is ${r.status}`);
      this.#finish(d, r, 'rejected', step.reason, step.code);
      return this.#commit(d, { request: r });
    }
    const t = d.transition;
    if (!t || t.requestId !== r.id) throw new StepError('illegal_step', `step ${step.kind}: ${r.id} is not the operation in progress`);
    const node = d.nodes[t.nodeId]!;
    return this.#advance(d, step, r, node);
  }

  #start(d: Draft, r: Mutable<TopologyRequest>): TopologyCommandResult {
    if (r.status !== 'pending') throw new StepError('illegal_step', `start: ${r.id} is ${r.status}`);
    if (d.transition || d.tstate) throw new StepError('illegal_step', `start: ${d.transition?.requestId ?? 'an operation'} is in progress`);
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
    d.transition = { requestId: r.id, kind: r.kind, nodeId: r.nodeId };
    return this.#commit(d, { request: r });
  }

  #advance(d: Draft, step: SagaStep, r: Mutable<TopologyRequest>, node: Mutable<TopologyNode>): TopologyCommandResult {
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
          return { ok: true, changed: false, stateId: this.#state.stateId, version: this.#state.version };
        }
        d.fenceVersion = step.version;
        break;
      }
      case 'streamed':
        from('write_both_read_old');
        if (t.rollbackReason !== undefined) throw new StepError('illegal_step', `streamed: ${r.id} is rolling back`);
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
            this.#setState(old, 'left');
            d.ignoredNodes = d.ignoredNodes.filter((id) => id !== old.id);
          } else {
            for (const n of Object.values(d.nodes)) if (n.state === 'normal' && n.id !== node.id) n.cleanup = 'needed';
          }
          d.tstate = null;
          d.transition = null;
          this.#finish(d, r, 'done');
        } else {
          node.tokens = [];
          d.tstate = 'left_token_ring';
        }
        break;
      case 'finish_left':
        from('left_token_ring');
        this.#setState(node, 'left');
        d.ignoredNodes = d.ignoredNodes.filter((id) => id !== node.id && id !== r.params.replacedId);
        d.tstate = null;
        d.transition = null;
        if (t.rollbackReason !== undefined) this.#finish(d, r, 'failed', `Rolled back: ${t.rollbackReason}`);
        else this.#finish(d, r, 'done');
        break;
      case 'rollback': {
        if (t.rollbackReason !== undefined) throw new StepError('illegal_step', `rollback: ${r.id} is already rolling back`);
        if (joining) {
          from('join_group0', 'commit_cdc_generation', 'write_both_read_old', 'write_both_read_new');
          node.tokens = [];
          d.tstate = 'left_token_ring';
        } else if (t.kind === 'leave' || t.kind === 'remove') {
          from('write_both_read_old');
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
        this.#finish(d, r, 'failed', `Rolled back: ${t.rollbackReason ?? 'unknown reason'}`);
        break;
      case 'finish_rebuild':
        from(null);
        if (t.kind !== 'rebuild') throw new StepError('illegal_step', `finish_rebuild: ${r.id} is a ${t.kind}`);
        node.state = 'normal';
        d.transition = null;
        if (step.error === undefined) this.#finish(d, r, 'done');
        else this.#finish(d, r, 'failed', step.error);
        break;
      default:
        throw new StepError('invalid_command', `unknown step ${JSON.stringify((step as { kind?: unknown }).kind)}`);
    }
    return this.#commit(d, { request: r });
  }
}
