/**
 * Deterministic topology simulation over a SimulatedTopologyCluster (the
 * VirtualRaftGroup model): random request streams, leader kills aimed at saga
 * steps, partitions, node crashes and dying joiners, with invariants checked
 * on every apply of every replica. One seed = one run; `runTopologySeed`
 * returns the violations (empty when the run passed).
 */
import {
  RaftPrng,
  type CoordinatorEvent,
  type InitialNode,
  type TopologyStateMachine,
  TRANSITION_NODE_STATES,
  isFinalStatus,
  type StepCommand,
  type TopologyCommand,
  type TopologyCommandResult,
  type TopologyRequestSpec,
  type TopologyState,
  type AgentCommand,
  type TopologyClient,
} from '../../src/index.js';
import { SimulatedTopologyCluster } from '../../src/rafttest/index.js';

export interface SeedReport {
  readonly seed: number;
  readonly violations: string[];
  readonly requests: number;
  readonly outcomes: Record<string, number>;
  /** Saga step kinds during which the leader was killed. */
  readonly killedAtSteps: string[];
  readonly rolledBackJoins: number;
  readonly virtualMs: number;
}

/** A cheap fingerprint of a state (ids, states, token counts, versions, queue). */
function digest(s: TopologyState): string {
  const nodes = Object.values(s.nodes).map((n) => `${n.id}:${n.state}:${n.tokens.length}:${n.tokens[0] ?? ''}`).join(',');
  const reqs = s.queue.map((id) => `${id}:${s.requests[id]?.status}`).join(',');
  return `${s.stateId}|${s.version}|${s.fenceVersion}|${s.coordinatorTerm}|${s.tstate}|${s.transition?.requestId}|${s.transition?.rollbackReason ?? ''}|${nodes}|${reqs}|${s.ignoredNodes.join(',')}|${Object.keys(s.requests).length}`;
}

const STEPS_WITHOUT_VERSION = new Set(['fence']);
/** Steps decided after a global barrier that then bump the version. */
const FENCED_AFTER_BUMP = new Set(['streamed', 'finish_write_both']);
/** Steps decided after a global barrier that keep the version. */
const FENCED_NO_BUMP = new Set(['finish_left', 'finish_rollback']);

/** Checks invariants on every apply of one replica. */
class ReplicaChecker {
  #version = 0;
  #fence = 0;
  readonly #left = new Set<string>();
  readonly #effective = new Set<string>();
  readonly #aborted = new Set<string>();

  constructor(
    private readonly id: string,
    private readonly violations: string[],
    private readonly hashes: Map<number, string> | undefined,
    private readonly appliedIndex: () => number,
  ) {}

  onApply(cmd: TopologyCommand, result: TopologyCommandResult, s: TopologyState): void {
    const v = (msg: string): void => void this.violations.push(`[${this.id} @${s.stateId}] ${msg}`);
    if (s.version < this.#version) v(`version decreased ${this.#version} -> ${s.version}`);
    if (s.fenceVersion < this.#fence) v(`fenceVersion decreased ${this.#fence} -> ${s.fenceVersion}`);
    if (s.fenceVersion > s.version) v(`fenceVersion ${s.fenceVersion} > version ${s.version}`);
    this.#version = Math.max(this.#version, s.version);
    this.#fence = Math.max(this.#fence, s.fenceVersion);
    const inTransition = Object.values(s.nodes).filter((n) => TRANSITION_NODE_STATES.includes(n.state));
    if (inTransition.length > 1) v(`more than one node in transition: ${inTransition.map((n) => `${n.id}:${n.state}`).join(', ')}`);
    if (s.tstate !== null && s.transition === null) v(`tstate ${s.tstate} without a transition`);
    if (s.transition && !TRANSITION_NODE_STATES.includes(s.nodes[s.transition.nodeId]?.state ?? 'none')) {
      v(`transition ${s.transition.requestId} but node ${s.transition.nodeId} is ${s.nodes[s.transition.nodeId]?.state}`);
    }
    const writeBoth = s.tstate === 'write_both_read_old' || s.tstate === 'write_both_read_new';
    const maxOwners = writeBoth && s.transition?.kind === 'replace' ? 2 : 1;
    const owners = new Map<number, number>();
    for (const n of Object.values(s.nodes)) {
      if (n.state === 'left') {
        if (n.tokens.length > 0) v(`left node ${n.id} holds tokens`);
        this.#left.add(n.id);
        continue;
      }
      if (this.#left.has(n.id)) v(`left node ${n.id} returned as ${n.state}`);
      if (n.state === 'none' && n.tokens.length > 0) v(`none node ${n.id} holds tokens`);
      for (const t of n.tokens) {
        const c = (owners.get(t) ?? 0) + 1;
        owners.set(t, c);
        if (c > maxOwners) v(`token ${t} has ${c} owners${writeBoth ? ' (write-both)' : ''}`);
      }
    }
    // One open request per node: a node is never the target (or the replaced node) of two
    // queued or running requests at once (e.g. remove and replace of the same node).
    const openByNode = new Map<string, string>();
    for (const r of Object.values(s.requests)) {
      if (isFinalStatus(r.status)) continue;
      for (const id of [r.nodeId, r.params.replacedId].filter((x): x is string => typeof x === 'string')) {
        const other = openByNode.get(id);
        if (other !== undefined && other !== r.id) v(`node ${id} is touched by two open requests: ${other} and ${r.id} (${r.kind})`);
        openByNode.set(id, r.id);
      }
    }
    // Global requests run alone, and only they mark nodes' cleanup running.
    if (s.globalRequest !== null && (s.transition !== null || s.tstate !== null)) {
      v(`global request ${s.globalRequest} runs together with operation ${s.transition?.requestId ?? s.tstate}`);
    }
    if (s.globalRequest === null) {
      const running = Object.values(s.nodes).filter((n) => n.cleanup === 'running');
      if (running.length > 0) v(`node(s) ${running.map((n) => n.id).join(', ')} cleaning up without a running cleanup request`);
    }
    // An aborted request never started.
    if (cmd.type === 'abort_request' && result.ok) {
      const r = s.requests[cmd.requestId] ?? s.globalRequests[cmd.requestId];
      if (r?.startedAt !== undefined) v(`aborted request ${cmd.requestId} had started at ${r.startedAt}`);
      this.#aborted.add(cmd.requestId);
    }
    if (cmd.type === 'step' && (cmd as StepCommand).step.kind.startsWith('start') && result.ok && this.#aborted.has((cmd as StepCommand).step.requestId)) {
      v(`aborted request ${(cmd as StepCommand).step.requestId} was started`);
    }
    if (cmd.type === 'step' && result.ok && result.changed) {
      const step = (cmd as StepCommand).step;
      // Fencing: these steps follow a global barrier, which raises fenceVersion to the
      // version it barriered; streamed and finish_write_both then add one to version.
      if (FENCED_AFTER_BUMP.has(step.kind) && s.fenceVersion !== s.version - 1) {
        v(`${step.kind} for ${step.requestId} without a fenced barrier: version ${s.version}, fenceVersion ${s.fenceVersion} (expected ${s.version - 1})`);
      }
      if (FENCED_NO_BUMP.has(step.kind) && s.fenceVersion !== s.version) {
        v(`${step.kind} for ${step.requestId} without a fenced barrier: version ${s.version}, fenceVersion ${s.fenceVersion}`);
      }
      const key = `${step.requestId}/${step.kind}${STEPS_WITHOUT_VERSION.has(step.kind) ? `/${(step as { version: number }).version}` : ''}`;
      if (this.#effective.has(key)) v(`saga step took effect twice: ${key}`);
      this.#effective.add(key);
    }
    // State machine safety: every replica has the same state after the same log index.
    if (!this.hashes) return;
    const index = this.appliedIndex();
    const h = digest(s);
    const prev = this.hashes.get(index);
    if (prev === undefined) this.hashes.set(index, h);
    else if (prev !== h) v(`state after log index ${index} differs from another replica's`);
  }
}

export interface SimOptions {
  /** Compare replicas' states at equal applied indexes. @default true */
  readonly checkReplicaDigests?: boolean;
  readonly safetyMs?: number;
  readonly livenessMs?: number;
  /**
   * Adds global requests (`cleanup`, `noop`) and aborts of open requests to the workload
   * (extra draws of the seed's PRNG, so other suites' seeds are unchanged). @default false
   */
  readonly globalAndAbort?: boolean;
}

/** What the simulation drives: a SimulatedTopologyCluster or a RaftTopologyCluster. */
export interface SimTarget {
  readonly clock: { now(): number };
  /** Running nodes; `client` is used by the `globalAndAbort` workload (global requests and aborts). */
  readonly nodes: readonly { readonly id: string; readonly stateMachine: TopologyStateMachine; readonly client?: TopologyClient }[];
  readonly ids: string[];
  readonly leaderId: string | undefined;
  isAlive(id: string): boolean;
  appliedIndex(id: string): number;
  state(id?: string): TopologyState;
  submit(spec: TopologyRequestSpec, via?: string): Promise<unknown>;
  kill(id: string): void;
  restart(id: string): void;
  isolate(id: string): void;
  heal(): void;
  runFor(ms: number): Promise<void>;
  runUntil(done: () => boolean, maxMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

/** Builds the cluster under test for one seed. */
export type SimTargetFactory = (
  nodes: InitialNode[],
  seed: number,
  onCoordinatorEvent: (id: string, e: CoordinatorEvent) => void,
  onAgentExecute?: (nodeId: string, what: string, cmd: AgentCommand) => void,
) => SimTarget;

const virtualGroupTarget: SimTargetFactory = (nodes, seed, onCoordinatorEvent) =>
  new SimulatedTopologyCluster({ nodes, seed, staleCommitProbability: 0.5, onCoordinatorEvent });

export async function runTopologySeed(seed: number, options: SimOptions = {}, factory: SimTargetFactory = virtualGroupTarget): Promise<SeedReport> {
  const prng = new RaftPrng(seed);
  const founders = prng.int(3, 6);
  const dcs = ['dc1', 'dc2'];
  const nodes = Array.from({ length: founders }, (_, i) => ({ id: `n${i + 1}`, address: `10.0.0.${i + 1}`, dc: dcs[i % 2]!, rack: 'r1' }));
  const violations: string[] = [];
  const killedAtSteps: string[] = [];
  const hashes = new Map<number, string>();
  let lastLeaderStep: string | undefined;
  let killLeaderSoon = false;
  const debug = process.env.TOPO_DEBUG !== undefined;
  const dyingJoiners = new Set<string>();
  const cluster = factory(nodes, prng.nextUint32(), (id, e) => {
      if (debug) console.log(cluster?.clock.now(), id, e.type, 'step' in e ? `${e.step.kind} ${e.result.ok ? 'ok' : e.result.code}` : '', 'error' in e ? String((e.error as Error)?.message).slice(0, 150) : '');
      if (e.type !== 'step') return;
      if (!e.result.ok && !['concurrent_modification', 'stale_term'].includes(e.result.code)) {
        violations.push(`coordinator on ${id} (term ${e.term}) step ${e.step.kind} for ${e.step.requestId} failed: ${e.result.code} ${e.result.reason}`);
      }
      // A joiner the failure detector reports dead is rolled back at once (the dead-joiner
      // abort); a rollback only when the barrier retry budget ran out means it was not.
      if (e.result.ok && e.step.kind === 'rollback' && /retry budget exhausted/.test(e.step.reason)) {
        const r = cluster.state(id).requests[e.step.requestId];
        if (r && (r.kind === 'join' || r.kind === 'replace') && dyingJoiners.has(r.nodeId)) {
          violations.push(`dead joiner ${r.nodeId} was not aborted: ${r.id} was rolled back only when the barrier retry budget ran out (${e.step.reason.slice(0, 120)})`);
        }
      }
      if (e.result.ok && e.result.changed) {
        lastLeaderStep = e.step.kind;
        if (prng.chance(0.12)) killLeaderSoon = true;
      }
  }, (nodeId, what, cmd) => onAgentExecute(nodeId, what, cmd));
  // Stale coordinators: a node agent must never act on a command whose term is older than
  // a coordinator term its own replica has already applied.
  const onAgentExecute = (nodeId: string, what: string, cmd: AgentCommand): void => {
    if (!cluster.isAlive(nodeId)) return;
    const term = cluster.state(nodeId).coordinatorTerm;
    if (cmd.term < term) violations.push(`node ${nodeId} executed ${what} from ${cmd.coordinatorId} of term ${cmd.term}, older than coordinator term ${term} it had applied`);
    // Stream sessions: a node streams only for the operation in progress, in its current session.
    if (what === 'stream_ranges') {
      const s = cluster.state(nodeId);
      const sc = cmd as AgentCommand & { requestId: string; session: number };
      if (sc.session !== s.session || s.transition?.requestId !== sc.requestId) {
        violations.push(`node ${nodeId} streamed for ${sc.requestId} session ${sc.session}, but its replica's operation is ${s.transition?.requestId ?? 'none'} in session ${s.session}`);
      }
    }
  };
  const watched = new WeakSet<object>();
  const watch = (): void => {
    for (const n of cluster.nodes) {
      if (watched.has(n.stateMachine)) continue;
      watched.add(n.stateMachine);
      const checker = new ReplicaChecker(n.id, violations, options.checkReplicaDigests === false ? undefined : hashes, () => cluster.appliedIndex(n.id));
      n.stateMachine.onApply((c, r, s) => checker.onApply(c, r, s));
    }
  };
  watch();

  let nextId = founders + 1;
  const dead = new Map<string, number>(); // node -> restart time (Infinity: dying joiner)
  const submits: Promise<unknown>[] = [];
  let requests = 0;
  let inFlightSubmits = 0;
  const live = (): string[] => cluster.ids.filter((id) => cluster.isAlive(id));
  const founderLive = (): string[] => nodes.map((n) => n.id).filter((id) => cluster.isAlive(id));
  const submit = (spec: TopologyRequestSpec): void => {
    const via = founderLive();
    if (via.length === 0) return;
    requests++;
    inFlightSubmits++;
    const p = cluster
      .submit(spec, prng.pick(via))
      .catch(() => undefined)
      .finally(() => inFlightSubmits--);
    submits.push(p);
    watch();
  };
  const normalIds = (s: TopologyState): string[] => Object.values(s.nodes).filter((n) => n.state === 'normal').map((n) => n.id);

  const safetyMs = options.safetyMs ?? 1500;
  const end = cluster.clock.now() + safetyMs;
  let healAt = Number.POSITIVE_INFINITY;
  while (cluster.clock.now() < end) {
    await cluster.runFor(prng.int(5, 40));
    watch();
    const now = cluster.clock.now();
    for (const [id, at] of dead) {
      if (at <= now) {
        cluster.restart(id);
        dead.delete(id);
      }
    }
    if (now >= healAt) {
      cluster.heal();
      healAt = Number.POSITIVE_INFINITY;
    }
    const s = cluster.state();
    for (const id of dyingJoiners) {
      if (dead.get(id) === Number.POSITIVE_INFINITY && s.nodes[id]?.state === 'normal') dead.set(id, now + 50);
    }
    if (killLeaderSoon) {
      killLeaderSoon = false;
      const leader = cluster.leaderId;
      if (leader !== undefined && !dead.has(leader)) {
        killedAtSteps.push(lastLeaderStep ?? 'none');
        cluster.kill(leader);
        dead.set(leader, now + prng.int(30, 300));
      }
    }
    const roll = prng.float();
    if (roll < 0.2) {
      const dc = prng.pick(dcs);
      submit({ kind: 'join', node: { id: `n${nextId}`, address: `10.0.1.${nextId}`, dc, rack: 'r1', numTokens: prng.int(1, 5) } });
      nextId++;
    } else if (roll < 0.3) {
      const normal = normalIds(s);
      if (normal.length > 0) submit({ kind: 'leave', nodeId: prng.pick(normal) });
    } else if (roll < 0.37) {
      const deadIds = Object.keys(s.nodes).filter((id) => !cluster.isAlive(id));
      const ids = deadIds.length > 0 && prng.chance(0.8) ? deadIds : Object.keys(s.nodes);
      if (ids.length > 0) submit({ kind: 'remove', nodeId: prng.pick(ids) });
    } else if (roll < 0.44) {
      const normal = Object.values(s.nodes).filter((n) => n.state === 'normal');
      const deadNormal = normal.filter((n) => !cluster.isAlive(n.id));
      const ids = deadNormal.length > 0 && prng.chance(0.8) ? deadNormal : normal;
      if (ids.length > 0) {
        const old = prng.pick(ids);
        submit({ kind: 'replace', node: { id: `n${nextId}`, address: `10.0.1.${nextId}`, dc: old.dc, rack: old.rack }, replacedId: old.id });
        nextId++;
      }
    } else if (roll < 0.48) {
      const normal = normalIds(s);
      if (normal.length > 0) submit({ kind: 'rebuild', nodeId: prng.pick(normal), sourceDc: 'dc1' });
    } else if (roll < 0.5) {
      const leader = cluster.leaderId;
      if (leader !== undefined) {
        killedAtSteps.push(lastLeaderStep ?? 'none');
        cluster.kill(leader);
        dead.set(leader, now + prng.int(30, 200));
      }
    } else if (roll < 0.52) {
      const victims = live();
      if (victims.length > 0) {
        const v = prng.pick(victims);
        cluster.kill(v);
        dead.set(v, now + prng.int(20, 150));
      }
    } else if (roll < 0.58) {
      const t = s.transition;
      const joiner = t && (t.kind === 'join' || t.kind === 'replace') ? s.nodes[t.nodeId] : undefined;
      if (joiner && (joiner.state === 'bootstrapping' || joiner.state === 'replacing') && cluster.isAlive(joiner.id)) {
        cluster.kill(joiner.id);
        dyingJoiners.add(joiner.id);
        dead.set(joiner.id, Number.POSITIVE_INFINITY);
      }
    } else if (roll < 0.61 && healAt === Number.POSITIVE_INFINITY) {
      const victims = live();
      if (victims.length > 0) {
        cluster.isolate(prng.pick(victims));
        healAt = now + prng.int(20, 200);
      }
    }
    if (options.globalAndAbort) {
      const extra = prng.float();
      const via = founderLive();
      const pickedId = via.length > 0 && extra < 0.15 ? prng.pick(via) : undefined;
      const client = pickedId === undefined ? undefined : cluster.nodes.find((n) => n.id === pickedId)?.client;
      if (client) {
        let p: Promise<unknown>;
        if (extra < 0.06) p = client.submitGlobal(prng.chance(0.7) ? 'cleanup' : 'noop');
        else {
          const open = [...s.queue, ...(s.globalQueue ?? [])];
          p = open.length > 0 ? client.abortRequest(prng.pick(open)) : Promise.resolve();
        }
        requests++;
        inFlightSubmits++;
        submits.push(p.catch(() => undefined).finally(() => inFlightSubmits--));
      }
    }
  }

  // Liveness: heal, restart everyone but dying joiners, and require every request to end.
  cluster.heal();
  for (const [id, at] of dead) {
    if (at !== Number.POSITIVE_INFINITY || cluster.state().nodes[id]?.state === 'normal') cluster.restart(id);
  }
  const finished = (): boolean => {
    const leader = cluster.leaderId;
    if (leader === undefined || inFlightSubmits > 0) return false;
    const s = cluster.state(leader);
    return (
      s.transition === null &&
      Object.values(s.requests).every((r) => isFinalStatus(r.status)) &&
      s.queue.length === 0 &&
      (s.globalQueue ?? []).length === 0 &&
      (s.globalRequest ?? null) === null
    );
  };
  const ok = await cluster.runUntil(finished, options.livenessMs ?? 20_000);
  if (!ok) {
    const s = cluster.state();
    violations.push(
      `liveness: not every request ended within ${options.livenessMs ?? 20_000} ms (leader ${cluster.leaderId}, tstate ${s.tstate}, transition ${JSON.stringify(s.transition)}, open ${s.queue.join(',')})`,
    );
  }
  // Let followers catch up, then compare: every replica of the founders converges.
  await cluster.runFor(50);
  const final = cluster.state();
  for (const id of dyingJoiners) {
    const n = final.nodes[id];
    if (n && n.state !== 'left' && n.state !== 'normal') violations.push(`dying joiner ${id} ended ${n.state}`);
  }
  const outcomes: Record<string, number> = {};
  for (const r of Object.values(final.requests)) outcomes[r.status] = (outcomes[r.status] ?? 0) + 1;
  for (const r of Object.values(final.globalRequests ?? {})) outcomes[`${r.kind}:${r.status}`] = (outcomes[`${r.kind}:${r.status}`] ?? 0) + 1;
  const abortedCount = Object.values(final.requests).filter((r) => r.code === 'aborted').length;
  if (abortedCount > 0) outcomes.aborted = abortedCount;
  if (ok) {
    for (const r of Object.values(final.requests)) {
      if (!isFinalStatus(r.status)) violations.push(`request ${r.id} (${r.kind} of ${r.nodeId}) ended ${r.status}`);
    }
  }
  const rolledBackJoins = Object.values(final.requests).filter((r) => (r.kind === 'join' || r.kind === 'replace') && r.status === 'failed').length;
  await cluster.stop();
  void submits;
  return { seed, violations, requests, outcomes, killedAtSteps, rolledBackJoins, virtualMs: cluster.clock.now() };
}
