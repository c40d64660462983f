import { checkAdmission } from './topology-admission.js';
import { admitGlobalRequest, finishGlobalRequestStep, startGlobalRequest } from './global-request-steps.js';
import { DEFAULT_NUM_TOKENS, initialTopologyState, normalizeTopologyState, type InitialNode } from './topology-initial-state.js';
import { finishGlobalRequest, finishRequest, JOINING, makeDraft, StepError, type Draft, type Mutable } from './topology-draft.js';
import { applySagaStep, applyStart } from './topology-saga-steps.js';
import type { TopologyTestingKnobs } from './topology-testing-knobs.js';
import type {
  AbortRequestCommand,
  CommandFailureCode,
  FenceCoordinatorCommand,
  SagaStep,
  StepCommand,
  SubmitCommand,
  SubmitGlobalCommand,
  TopologyCommand,
  TopologyCommandResult,
} from './topology-command.js';
import type { GlobalTopologyRequest, RejectionCode, RequestKind, TopologyRequest, TopologyState } from './topology-types.js';
import { isFinalStatus } from './topology-types.js';

type Extra = { request?: TopologyRequest; globalRequest?: GlobalTopologyRequest; rejection?: RejectionCode };

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
    this.#state = options.initialState ? normalizeTopologyState(options.initialState) : initialTopologyState(options.initialNodes);
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
    this.#state = normalizeTopologyState(structuredClone(snapshot));
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
        case 'submit_global':
          return this.#submitGlobal(command);
        case 'fence_coordinator':
          return this.#fenceCoordinator(command);
        case 'abort_request':
          return this.#abort(command);
        case 'step':
          return this.#step(command);
        case 'mark_clean':
          return this.#markClean(command.nodeId);
        default:
          return this.#fail('invalid_command', `unknown command type ${JSON.stringify((command as { type?: unknown }).type)}`);
      }
    } catch (e) {
      if (e instanceof StepError) return this.#fail(e.code, e.reason);
      this.#state = s;
      throw e;
    }
  }

  #markClean(nodeId: string): TopologyCommandResult {
    const s = this.#state;
    const n = typeof nodeId === 'string' ? s.nodes[nodeId] : undefined;
    if (!n || n.state === 'left') return this.#fail('invalid_command', `mark_clean: ${JSON.stringify(nodeId)} is not a member of the topology`);
    if (n.cleanup === 'running') return this.#fail('illegal_step', `mark_clean: the cleanup of ${nodeId} is running (global request ${s.globalRequest ?? '?'}); wait for its outcome`);
    if (n.cleanup === 'clean') return { ok: true, changed: false, stateId: s.stateId, version: s.version };
    const d = this.#draft();
    d.nodes[nodeId]!.cleanup = 'clean';
    return this.#commit(d);
  }

  #fail(code: CommandFailureCode, reason: string, extra: Extra = {}): TopologyCommandResult {
    return { ok: false, code, reason, stateId: this.#state.stateId, version: this.#state.version, ...extra };
  }

  #commit(d: Draft, extra: Extra = {}): TopologyCommandResult {
    d.stateId++;
    this.#prune(d);
    this.#state = d;
    return { ok: true, changed: true, stateId: d.stateId, version: d.version, ...extra };
  }

  #draft(): Draft {
    return makeDraft(this.#state);
  }

  #prune(d: Draft): void {
    const finished = Object.values(d.requests).filter((r) => isFinalStatus(r.status));
    if (finished.length <= this.#maxFinished) return;
    finished.sort((a, b) => a.seq - b.seq);
    for (const r of finished.slice(0, finished.length - this.#maxFinished)) delete d.requests[r.id];
    const globals = Object.values(d.globalRequests).filter((r) => isFinalStatus(r.status));
    if (globals.length <= this.#maxFinished) return;
    globals.sort((a, b) => a.seq - b.seq);
    for (const r of globals.slice(0, globals.length - this.#maxFinished)) delete d.globalRequests[r.id];
  }

  /** A client-chosen id already used: the existing record (idempotent retry), or a refusal when it names the other kind of request. */
  #existing(requestId: string | undefined, global: boolean): TopologyCommandResult | undefined {
    if (requestId === undefined) return undefined;
    const s = this.#state;
    const node = s.requests[requestId];
    const glob = s.globalRequests[requestId];
    if (!node && !glob) return undefined;
    if ((node && global) || (glob && !global)) {
      return this.#fail('invalid_command', `request id ${requestId} is already used by a ${node ? 'node' : 'global'} request; choose another id`);
    }
    return { ok: true, changed: false, existing: true, stateId: s.stateId, version: s.version, ...(node ? { request: node } : { globalRequest: glob! }) };
  }

  #submitGlobal(cmd: SubmitGlobalCommand): TopologyCommandResult {
    const existing = this.#existing(cmd.requestId, true);
    if (existing) return existing;
    const d = this.#draft();
    const r = admitGlobalRequest(this.#state, d, cmd);
    if (r.status === 'rejected') {
      d.stateId++;
      this.#prune(d);
      this.#state = d;
      return this.#fail('rejected', r.reason ?? 'rejected', { globalRequest: r, ...(r.code ? { rejection: r.code } : {}) });
    }
    return this.#commit(d, { globalRequest: r });
  }

  #submit(cmd: SubmitCommand): TopologyCommandResult {
    const s = this.#state;
    const existing = this.#existing(cmd.requestId, false);
    if (existing) return existing;
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
    if (typeof cmd.initiator === 'string') request.initiator = cmd.initiator;
    if (typeof cmd.at === 'number') request.createdAt = cmd.at;
    if (rejection) {
      request.status = 'rejected';
      if (typeof cmd.at === 'number') request.endedAt = cmd.at;
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
            finishRequest(d, r, 'rejected', cmd.at, 'node was replaced before the request could start', 'replaced');
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
    const at = typeof cmd.at === 'number' ? cmd.at : undefined;
    const g = d.globalRequests[cmd.requestId];
    const r = d.requests[cmd.requestId];
    const current = r ?? g;
    if (!current) return this.#fail('unknown_request', `abort_request: no request ${cmd.requestId}; list the requests to find its id`);
    const extra: Extra = r ? { request: this.#state.requests[r.id]! } : { globalRequest: this.#state.globalRequests[g!.id]! };
    if (isFinalStatus(current.status)) {
      return this.#fail('request_final', `abort_request: ${cmd.requestId} already ended ${current.status}${current.reason ? ` (${current.reason})` : ''}; nothing to abort`, extra);
    }
    if (current.status !== 'pending') {
      return this.#fail('request_started', `abort_request: ${cmd.requestId} already started (${current.status}); only pending requests can be aborted, so wait for its outcome`, extra);
    }
    if (r && JOINING.includes(r.kind)) {
      return this.#fail(
        'not_abortable',
        `abort_request: ${r.kind} requests cannot be aborted (the joining node waits for the outcome); stop node ${r.nodeId} instead and the coordinator cancels the request`,
        extra,
      );
    }
    if (r) {
      finishRequest(d, r, 'rejected', at, 'aborted by the user', 'aborted');
      return this.#commit(d, { request: r });
    }
    finishGlobalRequest(d, g!, 'rejected', at, 'aborted by the user', 'aborted');
    return this.#commit(d, { globalRequest: g! });
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
    const at = typeof cmd.at === 'number' ? cmd.at : undefined;
    const d = this.#draft();
    const g = d.globalRequests[step.requestId];
    if (g) return this.#globalStep(d, g, step, at);
    const r = d.requests[step.requestId];
    if (!r) throw new StepError('unknown_request', `step ${step.kind}: no request ${step.requestId}`);
    if (step.kind === 'start') {
      applyStart(d, r, at);
      return this.#commit(d, { request: r });
    }
    if (step.kind === 'reject_request') {
      if (r.status !== 'pending') throw new StepError('illegal_step', `reject_request: ${r.id} is ${r.status}`);
      finishRequest(d, r, 'rejected', at, step.reason, step.code);
      return this.#commit(d, { request: r });
    }
    const t = d.transition;
    if (!t || t.requestId !== r.id) throw new StepError('illegal_step', `step ${step.kind}: ${r.id} is not the operation in progress`);
    const node = d.nodes[t.nodeId]!;
    if (!applySagaStep(d, step, r, node, at)) return { ok: true, changed: false, stateId: s.stateId, version: s.version };
    return this.#commit(d, { request: r });
  }

  #globalStep(d: Draft, g: Mutable<GlobalTopologyRequest>, step: SagaStep, at: number | undefined): TopologyCommandResult {
    switch (step.kind) {
      case 'start_global':
        startGlobalRequest(d, g, at);
        break;
      case 'finish_global':
        finishGlobalRequestStep(d, g, step.cleaned, step.error, at);
        break;
      case 'reject_request':
        if (g.status !== 'pending') throw new StepError('illegal_step', `reject_request: ${g.id} is ${g.status}`);
        finishGlobalRequest(d, g, 'rejected', at, step.reason, step.code);
        break;
      default:
        throw new StepError('illegal_step', `step ${step.kind}: ${g.id} is a global request`);
    }
    return this.#commit(d, { globalRequest: g });
  }
}
