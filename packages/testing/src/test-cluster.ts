import {
  Engine,
  MemoryStore,
  PluginRegistry,
  ScaledClock,
  VirtualClock,
  corePlugin,
  parseWorkflow,
  plan,
  type Clock,
  type ClusterInventory,
  type ConditionPollEvent,
  type JobOutcome,
  type JobRecord,
  type LogEvent,
  type ScyllaCpPlugin,
  type StepRecord,
  type Targeting,
} from '@scylla-cp/core';
import { prometheusPlugin } from '@scylla-cp/conditions';
import { SimCluster, SimPrometheus, SimShell, provideSimServices, simShellOverride, type SimClusterOptions, type SimFault, type SimOpLogEntry, type SimOpLogQuery } from '@scylla-cp/sim';
import { scyllaPlugin } from '@scylla-cp/tasks-scylla';
import { singleConditionWorkflow, singleTaskWorkflow, type ConditionCheckOptions, type TaskStepOptions } from './task-workflow.js';

/** Options of {@link startTestCluster}. */
export interface TestClusterOptions {
  /** Your plugins, registered after the built-in ones (core, Scylla tasks, Prometheus conditions). @default [] */
  plugins?: ScyllaCpPlugin[];
  /**
   * `'in-process'`: no sockets, on a `VirtualClock` (minutes of simulated waiting take
   * milliseconds). `'http'`: every node's REST API, metrics and control server on 127.0.0.1 and a
   * Prometheus stand-in, reached through the real HTTP clients and `SimHttpShell`, on a
   * `ScaledClock` (Prometheus-backed conditions need this mode). @default 'in-process'
   */
  mode?: 'in-process' | 'http';
  /** Zones (racks) of the one datacenter `dc1`. @default ['a', 'b', 'c'] */
  zones?: string[];
  /** @default 1 */
  nodesPerZone?: number;
  /** Seed of the simulator's PRNG. @default 1 */
  seed?: number;
  /** In `'http'` mode, how many times faster than real time the simulation runs. @default 50 */
  speed?: number;
  /** Any other `SimClusterOptions` (timing, keyspaces, ...). */
  sim?: Omit<SimClusterOptions, 'clock' | 'seed' | 'nodesPerZone' | 'datacenters'>;
}

/** What {@link TestCluster.runWorkflow} (and `runTask`, `checkCondition`) report. */
export interface RunResult {
  /** How the engine's run ended (`state`: `succeeded`, `failed`, ...). */
  outcome: JobOutcome;
  /** The job as the store recorded it. */
  job: JobRecord;
  /** Every step record the store holds for the job (state, attempts, result, lastError). */
  steps: StepRecord[];
  /** Every condition poll, in order. */
  polls: ConditionPollEvent[];
  /** Log lines of tasks, conditions and the engine. */
  logs: LogEvent[];
}

/** Where a single task or condition runs. */
export interface RunTarget {
  /** Node ids (node tasks and node conditions). @default the first node */
  nodes?: string[];
}

/** Options of {@link TestCluster.runWorkflow}. */
export interface RunWorkflowOptions {
  /** @default every node */
  targeting?: Targeting;
  /** Workflow variables. @default {} */
  variables?: Record<string, string>;
  /** File name used in error messages. @default 'workflow.yaml' */
  fileName?: string;
  /** In-process mode: the run fails if it has not ended after this much simulated time, ms. @default 24 h */
  maxVirtualMs?: number;
}

/**
 * A simulated ScyllaDB cluster wired to a plugin registry, an in-memory job
 * store and the real engine. Start one with {@link startTestCluster}; call
 * {@link stop} when done.
 */
export class TestCluster {
  /** The simulated cluster (nodes, faults, oplog, the REST API). */
  readonly cluster: SimCluster;
  /** The clock of the simulation and of the engine. */
  readonly clock: Clock;
  /** Built-in plugins plus yours, with the simulator's services. */
  readonly registry: PluginRegistry;
  /** Where runs are recorded. */
  readonly store = new MemoryStore();
  /** The inventory that reaches the simulated nodes. */
  readonly inventory: ClusterInventory;
  readonly #prometheus: SimPrometheus | undefined;
  #runs = 0;

  /** @internal use {@link startTestCluster} */
  constructor(parts: { cluster: SimCluster; clock: Clock; registry: PluginRegistry; inventory: ClusterInventory; prometheus?: SimPrometheus }) {
    this.cluster = parts.cluster;
    this.clock = parts.clock;
    this.registry = parts.registry;
    this.inventory = parts.inventory;
    this.#prometheus = parts.prometheus;
  }

  /** Node ids, in inventory order (`dc1-a-n1`, `dc1-b-n1`, ...). */
  get nodeIds(): string[] {
    return this.inventory.nodes.map((n) => n.id);
  }

  /** Injects a fault (see `SimFault` in `@scylla-cp/sim`); returns its id for {@link clearFault}. */
  injectFault(fault: SimFault): string {
    return this.cluster.faults.inject(fault);
  }

  /** Removes one injected fault. */
  clearFault(id: string): void {
    this.cluster.faults.clear(id);
  }

  /**
   * The node's simulated shell (its virtual filesystem and emulated systemd), e.g. to read a
   * file a task wrote: `(await t.shell(id).run(['cat', '/etc/motd'])).stdout`.
   */
  shell(nodeId: string): SimShell {
    return new SimShell(this.cluster, nodeId);
  }

  /** The simulator's operation log (who did what to which node, when), optionally filtered. */
  oplog(query: SimOpLogQuery = {}): SimOpLogEntry[] {
    return this.cluster.oplog.entries(query);
  }

  /**
   * Runs a workflow (YAML text) through the real parser, planner and engine and
   * returns the outcome with the store's records. Never throws for a failed job
   * (look at `outcome.state`); throws `WorkflowError` for invalid YAML.
   */
  async runWorkflow(yaml: string, options: RunWorkflowOptions = {}): Promise<RunResult> {
    const workflow = parseWorkflow(yaml, { registry: this.registry, fileName: options.fileName ?? 'workflow.yaml' });
    const jobPlan = plan(workflow, this.inventory, options.targeting ?? {}, options.variables ?? {}, { registry: this.registry });
    const engine = new Engine({ store: this.store, registry: this.registry, clock: this.clock, retryJitterRatio: 0, seed: 1 });
    const polls: ConditionPollEvent[] = [];
    const logs: LogEvent[] = [];
    engine.on('condition-poll', (e) => polls.push(e));
    engine.on('log', (e) => logs.push(e));
    try {
      this.#runs += 1;
      // Each run stands alone: a failed run must not keep the cluster lock from the next one.
      const job = await engine.start(jobPlan, { operator: 'scylla-cp-testing', workflowText: yaml, jobId: `test-job-${this.#runs}`, allowConcurrent: true });
      const outcome =
        this.clock instanceof VirtualClock ? await this.clock.run(job.done, { maxVirtualMs: options.maxVirtualMs ?? 86_400_000 }) : await job.done;
      return { outcome, job: await this.store.getJob(job.jobId), steps: await this.store.getSteps(job.jobId), polls, logs };
    } finally {
      await engine.close();
    }
  }

  /**
   * Runs one task (by tag, with its parameters) through the engine: a node task
   * on `target.nodes` (default: the first node), a cluster task once.
   */
  async runTask(tag: string, params: Record<string, unknown> = {}, target: RunTarget & TaskStepOptions = {}): Promise<RunResult> {
    const scope = this.#scopeOf(tag);
    return this.runWorkflow(singleTaskWorkflow(scope, tag, params, target), {
      targeting: { nodes: target.nodes ?? [this.nodeIds[0]!] },
      fileName: `run-${tag}.yaml`,
    });
  }

  /**
   * Waits for one condition through the engine's `!wait-for-conditions`: `outcome.state` is
   * `succeeded` when it held for the success window before the timeout; `polls` holds each check.
   */
  async checkCondition(tag: string, params: Record<string, unknown> = {}, options: RunTarget & ConditionCheckOptions = {}): Promise<RunResult> {
    const definition = this.registry.condition(tag);
    if (!definition) throw new Error(`condition !${tag} is not registered: pass its plugin in startTestCluster({ plugins })`);
    const scope = (definition as { scope?: 'node' | 'cluster' }).scope === 'cluster' ? 'cluster' : 'node';
    return this.runWorkflow(singleConditionWorkflow(scope, tag, params, options), {
      targeting: { nodes: options.nodes ?? [this.nodeIds[0]!] },
      fileName: `check-${tag}.yaml`,
    });
  }

  /** Stops the HTTP servers (in `'http'` mode) and the simulation's timers. */
  async stop(): Promise<void> {
    await this.#prometheus?.close();
    await this.cluster.stop();
  }

  #scopeOf(tag: string): 'node' | 'cluster' {
    if (this.registry.nodeTask(tag)) return 'node';
    if (this.registry.clusterTask(tag)) return 'cluster';
    throw new Error(`task !${tag} is not registered: pass its plugin in startTestCluster({ plugins })`);
  }
}

/**
 * Starts a simulated cluster for a test: 3 zones of 1 node in `dc1` by default, in-process on a
 * `VirtualClock`, with your plugins registered beside the built-in ones.
 */
export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const mode = options.mode ?? 'in-process';
  const clock: Clock = mode === 'http' ? new ScaledClock(options.speed ?? 50) : new VirtualClock();
  const cluster = new SimCluster({
    name: 'test-cluster',
    ...options.sim,
    clock,
    seed: options.seed ?? 1,
    nodesPerZone: options.nodesPerZone ?? 1,
    datacenters: [{ name: 'dc1', zones: options.zones ?? ['a', 'b', 'c'] }],
  });
  const registry = new PluginRegistry().register(corePlugin, scyllaPlugin, prometheusPlugin, ...(options.plugins ?? []));
  if (mode === 'in-process') {
    provideSimServices(registry, cluster);
    return new TestCluster({ cluster, clock, registry, inventory: cluster.inventory() });
  }
  await cluster.start();
  const prometheus = new SimPrometheus(cluster.scrapeTargets(), { now: () => clock.now() });
  let prometheusUrl: string;
  try {
    prometheusUrl = await prometheus.listen();
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  simShellOverride(registry);
  return new TestCluster({ cluster, clock, registry, inventory: cluster.inventory({ prometheusUrl }), prometheus });
}
