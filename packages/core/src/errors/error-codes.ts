/**
 * One entry of a package's error-code catalogue: the class thrown with the code, its retry
 * intent, and what the code means (the gist of the message, and what to do).
 */
export interface ErrorCodeEntry {
  /** Name of the class thrown with this code, e.g. `InvalidInputError`. */
  readonly errorClass: string;
  /**
   * How {@link classifyError} treats it: `true` recoverable (retried), `false` unrecoverable
   * (halts the node and notifies), `undefined` for errors raised outside a step (input, store).
   */
  readonly retryable: boolean | undefined;
  /** What the code means and how to fix it. */
  readonly message: string;
}

/** A package's catalogue: every error code it throws, by code. */
export type ErrorCodeCatalogue = Readonly<Record<string, ErrorCodeEntry>>;

/**
 * Every error code `@scylla-cp/core` throws (Fastify's `lib/errors.js` idea: one list per
 * package). A test checks that each `code: '...'` in `src/` is listed here and each entry is
 * still thrown. Plugins keep their own catalogue (`CONDITIONS_ERROR_CODES`,
 * `TASKS_SCYLLA_ERROR_CODES`, ...).
 */
export const CORE_ERROR_CODES = {
  // roots (errors/scylla-cp-error.ts, errors/task-errors.ts)
  SCYLLA_CP_ERROR: { errorClass: 'ScyllaCpError', retryable: undefined, message: 'a scylla-cp error thrown without a more precise code' },
  RECOVERABLE: { errorClass: 'RecoverableError', retryable: true, message: 'a task said the failure may go away on another attempt' },
  UNRECOVERABLE: { errorClass: 'UnrecoverableError', retryable: false, message: 'a task said retrying will not help: a human must look' },
  CONDITION_TIMEOUT: { errorClass: 'ConditionTimeoutError', retryable: false, message: 'a condition did not hold for its success window before its timeout; the last poll is in the message' },
  // attempts (errors/attempt-errors.ts, engine/)
  ATTEMPT_DID_NOT_STOP: { errorClass: 'AttemptDidNotStopError', retryable: false, message: 'an aborted or timed-out attempt did not settle within the abandon grace; the node stays claimed until the process restarts' },
  NODE_EXCLUDED: { errorClass: 'NodeExcludedError', retryable: false, message: 'the node is excluded in this process after an attempt that did not stop; check it and restart the process' },
  NODE_BUSY: { errorClass: 'UnrecoverableError', retryable: false, message: 'another attempt is in flight on the node (engine.inFlight)' },
  STEP_TIMEOUT: { errorClass: 'RecoverableError', retryable: true, message: "the attempt ran longer than the step's timeout_seconds" },
  RETRIES_EXHAUSTED: { errorClass: 'UnrecoverableError', retryable: false, message: "the step's recorded attempts reached retries + 1; the last error is the cause" },
  JOB_ABORTED: { errorClass: 'UnrecoverableError', retryable: false, message: 'the job was cancelled (cancel, cancel --now); the reason is in the message' },
  JOB_FAILED: { errorClass: 'InvalidInputError (and the failed job\'s stored error, JobFailedError)', retryable: undefined, message: 'the job failed (its first failure is the cause); resuming it needs retry (retryFailed)' },
  JOB_FINISHED: { errorClass: 'JobFinishedError / InvalidInputError', retryable: undefined, message: 'the job is succeeded or cancelled, which is final: nothing revives it' },
  JOB_RUNNING: { errorClass: 'InvalidInputError', retryable: undefined, message: 'the job is already running in this engine' },
  UNKNOWN_NODE: { errorClass: 'InvalidInputError / UnrecoverableError', retryable: false, message: "a node id that the inventory (or the job's stored inventory) does not have; the valid ids are listed" },
  NODE_WORKFLOW_EXECUTED: { errorClass: 'UnrecoverableError', retryable: false, message: '!node-workflow is run by the engine, never executed as a task' },
  APPROVAL_EXECUTED: { errorClass: 'UnrecoverableError', retryable: false, message: '!approval is a gate the engine records, never executed as a task' },
  // engine options and controls (engine/)
  BAD_ENGINE_OPTIONS: { errorClass: 'InvalidInputError', retryable: undefined, message: 'engine options out of range: need 0 < heartbeatSeconds < leaseTtlSeconds, abandonGraceSeconds >= 0, controlPollSeconds > 0' },
  NOTHING_TO_APPROVE: { errorClass: 'InvalidInputError', retryable: undefined, message: 'the job is not paused for an approval' },
  NOT_AN_APPROVAL: { errorClass: 'InvalidInputError', retryable: undefined, message: 'the step named is not an !approval step' },
  INVENTORY_MISMATCH: { errorClass: 'InvalidInputError', retryable: undefined, message: 'a re-bound inventory changes more than connection settings; every difference is listed' },
  // store (errors/store-errors.ts, store/)
  CONTROL_REQUESTED: { errorClass: 'ControlRequestedError', retryable: undefined, message: 'a step start was refused, writing nothing, because a pause or cancel request is pending: the runner acts on the request' },
  STALE_FENCING_TOKEN: { errorClass: 'StaleFencingTokenError', retryable: undefined, message: 'another runner took the job over: this one must stop writing' },
  LEASE_HELD: { errorClass: 'LeaseHeldError', retryable: undefined, message: 'another runner holds the job lease; the message says for how long and whether --force could take over' },
  CLUSTER_LOCKED: { errorClass: 'ClusterLockedError', retryable: undefined, message: 'an active job holds the cluster lock; it names that job, its operator and state' },
  JOB_NOT_FOUND: { errorClass: 'JobNotFoundError', retryable: undefined, message: 'no job with that id in the store' },
  STORE_UNAVAILABLE: { errorClass: 'StoreUnavailableError', retryable: undefined, message: 'the store could not be read or written' },
  DUPLICATE_JOB_ID: { errorClass: 'InvalidInputError', retryable: undefined, message: 'a job with that id already exists' },
  INVALID_OPTION: { errorClass: 'InvalidInputError', retryable: undefined, message: 'a store option or control request out of its allowed values' },
  // input: workflow, variables, inventory, targeting, plans (errors/input-errors.ts, workflow/, inventory/, plan/)
  INVALID_INPUT: { errorClass: 'InvalidInputError', retryable: undefined, message: 'input that is not valid; the message says what, where and how to fix' },
  INVALID_WORKFLOW: { errorClass: 'WorkflowError', retryable: undefined, message: 'the workflow YAML is not valid; file:line:column and the expectation are given' },
  INVALID_INVENTORY: { errorClass: 'InventoryError', retryable: undefined, message: 'the inventory YAML is not valid; file:line:column and the expectation are given' },
  INVALID_PARAMS: { errorClass: 'InvalidInputError', retryable: undefined, message: "a task's or condition's parameters do not match its schema" },
  UNKNOWN_TAG: { errorClass: 'InvalidInputError', retryable: undefined, message: 'a YAML tag no registered plugin provides' },
  UNKNOWN_VARIABLE: { errorClass: 'InvalidInputError', retryable: undefined, message: 'a +name+ placeholder or --var that the workflow does not declare' },
  MISSING_VARIABLE: { errorClass: 'InvalidInputError', retryable: undefined, message: 'a required variable was not given; pass it with --var name=value' },
  INVALID_VARIABLE: { errorClass: 'InvalidInputError', retryable: undefined, message: "a variable's value does not match its declared type" },
  INVALID_TARGETING: { errorClass: 'InvalidInputError', retryable: undefined, message: 'targeting options that cannot be combined' },
  UNKNOWN_ZONE: { errorClass: 'InvalidInputError', retryable: undefined, message: 'a zone (or rack, dc) the inventory does not have; the valid ones are listed' },
  EMPTY_SELECTION: { errorClass: 'InvalidInputError', retryable: undefined, message: 'the targeting selects no node' },
  INVALID_WINDOW: { errorClass: 'InvalidInputError', retryable: undefined, message: 'a maintenance_window that cannot be parsed or never opens' },
  INVALID_TIMEZONE: { errorClass: 'InvalidInputError', retryable: undefined, message: 'a maintenance_window location that is not an IANA time zone' },
  RING_REQUIRED: { errorClass: 'InvalidInputError', retryable: undefined, message: 'concurrency_unit: replica_set needs a token ring provider (a plugin such as tasks-scylla)' },
  RING_MISMATCH: { errorClass: 'InvalidInputError', retryable: undefined, message: 'the token ring does not match the inventory' },
  ROLES_REQUIRED: { errorClass: 'InvalidInputError', retryable: undefined, message: 'order: role_aware needs a node role provider' },
  MISSING_SERVICE: { errorClass: 'InvalidInputError', retryable: undefined, message: 'a task asked for a service no registered plugin provides' },
  BAD_NOTIFY: { errorClass: 'InvalidInputError', retryable: undefined, message: 'a webhook notifier target that is not valid (URL, mention id, option)' },
  // plugins (plugin/)
  PLUGIN_ERROR: { errorClass: 'PluginError', retryable: undefined, message: 'a plugin cannot be registered' },
  PLUGIN_SHAPE: { errorClass: 'PluginError', retryable: undefined, message: 'a plugin definition is not of the expected shape' },
  PLUGIN_CORE_VERSION: { errorClass: 'PluginError', retryable: undefined, message: 'the plugin needs another major version of @scylla-cp/core' },
  PLUGIN_DUPLICATE: { errorClass: 'PluginError', retryable: undefined, message: 'a plugin of that name is already registered' },
  PLUGIN_DUPLICATE_TAG: { errorClass: 'PluginError', retryable: undefined, message: 'two plugins claim the same YAML tag; both are named' },
} as const satisfies ErrorCodeCatalogue;

/** A code of {@link CORE_ERROR_CODES}. */
export type CoreErrorCode = keyof typeof CORE_ERROR_CODES;
