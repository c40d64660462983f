import type { SourceLocation } from '../errors/input-errors.js';
import type { MaintenanceWindowSpec } from '../util/maintenance-window.js';

/** The type of a workflow variable. */
export type VariableType = 'integer' | 'number' | 'string' | 'boolean' | 'string_list';

/** A declared workflow variable (YAML: top-level `variables`). */
export interface VariableDeclaration {
  name: string;
  type: VariableType;
  description?: string;
  /** The default; a variable without one is required at invocation. */
  default?: string | number | boolean | string[];
  location: SourceLocation;
}

/** Retry backoff of a task entry (YAML `retry_backoff`). Seconds. */
export interface RetryBackoff {
  /** Delay before the first retry. @default 5 */
  initialSeconds: number;
  /** Each later delay is the previous one times this. @default 2 */
  multiplier: number;
  /** Upper bound of any delay. @default 60 */
  maxSeconds: number;
}

/**
 * How node workflows are grouped and throttled. `replica_set`: nodes run
 * together only when no two of them replicate a common token range (the
 * ring is read when the job is planned).
 */
export type ConcurrencyUnit = 'zone' | 'rack' | 'dc' | 'node' | 'replica_set';

/** `replica_set.within`: the groups that also run one after another (zone exclusivity and the like). */
export type ReplicaSetWithin = 'zone' | 'rack' | 'dc';

/** YAML `replica_set` of a `!node-workflow` (with `concurrency_unit: replica_set`). */
export interface ReplicaSetOptions {
  /** Keyspaces whose token ranges count. @default every non-local keyspace */
  keyspaces?: string[];
  /** Also run one zone (rack, dc) at a time. @default none */
  within?: ReplicaSetWithin;
}

/** Settings of a node workflow (YAML `concurrency_unit`, ...). */
export interface NodeWorkflowSettings {
  /** Group nodes by this; groups run one after another. @default 'zone' */
  concurrencyUnit: ConcurrencyUnit;
  /** At most this many nodes of a group run at once. @default 1 */
  concurrencyLimit: number;
  /** On the first node failure start no new node and halt the job. @default true */
  abortOnFirstFailure: boolean;
}

/**
 * One task entry as written (`- task: !tag {...}` with `retries`,
 * `retry_backoff`, `timeout_seconds`). `params` still holds `+var+`
 * references; they are resolved when the workflow is bound to variables.
 */
export interface TaskEntry {
  /** The YAML tag without `!`. */
  tag: string;
  /** The tagged mapping's content as a plain tree (condition refs as {@link TaggedValue}). */
  params: unknown;
  /** Retries after the first attempt. @default 0 (DEFAULT_RETRIES) */
  retries?: number | string;
  retryBackoff?: Partial<RetryBackoff>;
  /** Abort one attempt after this many seconds. @default none */
  timeoutSeconds?: number | string;
  /**
   * YAML `abandon_grace_seconds`: after a timeout or abort, how long the
   * engine waits for the attempt to settle. @default 60 (applied by the engine)
   */
  abandonGraceSeconds?: number | string;
  location: SourceLocation;
  /**
   * Set on `!node-workflow` entries only: its `node_tasks`, parsed the same way
   * (`params` still holds the raw mapping, including its concurrency settings).
   */
  nodeTasks?: TaskEntry[];
}

/** A tagged YAML node nested inside parameters (e.g. `condition: !compactions-nominal`). */
export interface TaggedValue {
  readonly $tag: string;
  readonly value: unknown;
  readonly location: SourceLocation;
}

/**
 * One workflow-level gate (YAML `gates`): a condition checked, with its
 * timing, before every node task. Values may still hold `+var+` references.
 */
export interface GateEntry {
  condition: TaggedValue;
  successWindowSeconds?: number | string;
  pollIntervalSeconds?: number | string;
  timeoutSeconds?: number | string;
  stallTimeoutSeconds?: number | string;
  location: SourceLocation;
}

/** A parsed, validated workflow. */
export interface Workflow {
  name: string;
  description?: string;
  variables: VariableDeclaration[];
  /** Top-level defaults for every node workflow (YAML `node_workflow_defaults`). */
  nodeWorkflowDefaults: Partial<NodeWorkflowSettings>;
  /** YAML `gates`: conditions checked before every node task. @default [] */
  gates: GateEntry[];
  /** YAML `finally_tasks`: cluster tasks run when the job ends in any way. @default [] */
  finallyTasks: TaskEntry[];
  /** YAML `maintenance_window`: when nodes may start. @default none (always) */
  maintenanceWindow?: MaintenanceWindowSpec;
  clusterTasks: TaskEntry[];
  /** The file it came from and its text (stored with the job). */
  source: { fileName: string; text: string };
}
