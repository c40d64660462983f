import type { ErrorCodeCatalogue } from '@scylla-cp/core';

/**
 * Every error code `@scylla-cp/tasks-scylla` throws (one catalogue per package; core's own codes
 * are in `CORE_ERROR_CODES`, Prometheus ones in `CONDITIONS_ERROR_CODES`). A test checks that
 * each code written in `src/` is listed here and that each entry is still written.
 */
export const TASKS_SCYLLA_ERROR_CODES = {
  // Scylla REST API (client/): one class, ScyllaApiError, retryable per instance
  SCYLLA_API_REJECTED: { errorClass: 'ScyllaApiError', retryable: false, message: 'Scylla answered 4xx (other than a starting node\'s 404); status and scyllaMessage say why' },
  SCYLLA_API_BAD_RESPONSE: { errorClass: 'ScyllaApiError', retryable: false, message: 'a 2xx reply whose body does not decode as the type the API declares' },
  SCYLLA_API_UNAVAILABLE: { errorClass: 'ScyllaApiError', retryable: true, message: 'no usable answer now (the default code of ScyllaApiError.unavailable)' },
  SCYLLA_API_UNREACHABLE: { errorClass: 'ScyllaApiError', retryable: true, message: 'no connection to the node\'s REST API (refused, reset, unreachable)' },
  SCYLLA_API_TIMEOUT: { errorClass: 'ScyllaApiError', retryable: true, message: 'connect, headers or body timeout of a REST call' },
  SCYLLA_API_SERVER_ERROR: { errorClass: 'ScyllaApiError', retryable: true, message: 'Scylla answered 5xx or 429' },
  SCYLLA_API_NOT_READY: { errorClass: 'ScyllaApiError', retryable: true, message: 'a 404 that a starting node gives (its API group is not registered yet)' },
  // settings and services (services/, shell/)
  INVALID_CONNECTION_SETTINGS: { errorClass: 'InvalidInputError', retryable: undefined, message: 'connection settings (ports, ssh, timeouts) out of range; checked at plan time' },
  MISSING_NODE_CONTEXT: { errorClass: 'InvalidInputError', retryable: undefined, message: 'a node service (REST client, shell) was asked for outside a node context' },
  UNKNOWN_SHELL_KIND: { errorClass: 'InvalidInputError', retryable: undefined, message: 'connection.shell.kind names no known node shell' },
  MISSING_NODE_SERVICES: { errorClass: 'UnrecoverableError', retryable: false, message: 'the task needs a context with nodeServices: run it in a job of the engine' },
  // node shells (shell/)
  SHELL_SPAWN_FAILED: { errorClass: 'UnrecoverableError', retryable: false, message: 'the shell command could not be started (ssh or the program missing)' },
  SHELL_TIMEOUT: { errorClass: 'RecoverableError', retryable: true, message: 'the shell command ran longer than its timeout and was killed' },
  SHELL_CONNECTION_FAILED: { errorClass: 'RecoverableError', retryable: true, message: 'ssh could not connect to the node (exit 255)' },
  COMMAND_FAILED: { errorClass: 'UnrecoverableError', retryable: false, message: '!run-command exited non-zero; exit code and output are in the details' },
  SYSTEMCTL_FAILED: { errorClass: 'UnrecoverableError', retryable: false, message: 'systemctl exited non-zero' },
  SYSTEMD_STATE_MISMATCH: { errorClass: 'RecoverableError', retryable: true, message: 'the unit is not in the state the systemd task asked for (yet)' },
  MARKER_WRITE_FAILED: { errorClass: 'UnrecoverableError', retryable: false, message: 'the maintenance marker file could not be written on the node' },
  // node operations (tasks/)
  DRAIN_WRONG_MODE: { errorClass: 'UnrecoverableError', retryable: false, message: 'the node is in an operation mode from which drain cannot proceed' },
  DRAIN_INCOMPLETE: { errorClass: 'RecoverableError', retryable: true, message: 'drain returned but the node is not DRAINED yet' },
  DECOMMISSION_WRONG_MODE: { errorClass: 'UnrecoverableError', retryable: false, message: 'the node is in an operation mode from which decommission cannot proceed' },
  DECOMMISSION_FAILED: { errorClass: 'UnrecoverableError', retryable: false, message: "decommission ended in a mode other than DECOMMISSIONED; see the node's log" },
  NODE_NOT_SERVING: { errorClass: 'RecoverableError', retryable: true, message: 'the node is NORMAL but its CQL server is not up yet (still starting?): not decommissioning now' },
  INVALID_HOST_ID: { errorClass: 'UnrecoverableError', retryable: false, message: 'host_id is not a UUID' },
  REMOVENODE_NODE_ALIVE: { errorClass: 'UnrecoverableError', retryable: false, message: 'removenode of a node the cluster still sees up: stop it first' },
  REMOVENODE_CLUSTER_NOT_READY: { errorClass: 'RecoverableError', retryable: true, message: 'another node is down or joining: removenode waits' },
  REMOVENODE_INCOMPLETE: { errorClass: 'RecoverableError', retryable: true, message: 'removenode returned but the node is still listed' },
  STEPDOWN_TIMEOUT: { errorClass: 'RecoverableError', retryable: true, message: 'group0 leadership did not move away within the timeout' },
  CONFIG_INVALID: { errorClass: 'UnrecoverableError', retryable: false, message: '!scylla-config-set: a config_path, settings or scylla.yaml that is not valid' },
  CONFIG_VERIFY_FAILED: { errorClass: 'RecoverableError', retryable: true, message: 'scylla.yaml read back does not hold the settings written' },
  INVALID_SNAPSHOT_TAG: { errorClass: 'UnrecoverableError', retryable: false, message: 'a snapshot tag with characters Scylla does not accept' },
  REPAIR_LOST: { errorClass: 'RecoverableError', retryable: true, message: 'the node forgot the repair id (it restarted): the repair is started again' },
  REPAIR_FAILED: { errorClass: 'RecoverableError', retryable: true, message: 'Scylla reported the repair FAILED' },
  // new nodes through the Raft topology (tasks/scylla-bootstrap.ts, tasks/topology-requests.ts)
  INVALID_PARAMS: { errorClass: 'UnrecoverableError', retryable: false, message: '!scylla-replace without the node to replace, or !scylla-bootstrap with no member to use as a seed' },
  REPLACE_TARGET_UNKNOWN: { errorClass: 'UnrecoverableError', retryable: false, message: 'the node to replace is not in the inventory, or owns no tokens (already replaced or removed?)' },
  REPLACE_TARGET_ALIVE: { errorClass: 'UnrecoverableError', retryable: false, message: 'only a dead node can be replaced: stop it, or use scylla-decommission' },
  BOOTSTRAP_START_FAILED: { errorClass: 'UnrecoverableError', retryable: false, message: 'the new node did not start, or stopped without making a topology request; see journalctl' },
  BOOTSTRAP_TIMEOUT: { errorClass: 'UnrecoverableError', retryable: false, message: "no topology request for the new node's host id within startTimeoutSeconds of the start" },
  NO_CLUSTER_MEMBER: { errorClass: 'RecoverableError', retryable: true, message: 'no member of the cluster in the inventory answered (or none to ask)' },
  TOPOLOGY_REQUEST_FAILED: { errorClass: 'UnrecoverableError', retryable: false, message: "the topology coordinator failed or refused the request (its reason in details.reason); it was rolled back" },
  // cluster-wide cleanup (tasks/scylla-cluster-cleanup.ts)
  CLUSTER_CLEANUP_FAILED: { errorClass: 'RecoverableError', retryable: true, message: "the cluster-wide cleanup was refused or failed (the coordinator's reason: e.g. a node that needs cleanup is down), or no node answered" },
  CLUSTER_CLEANUP_UNEXPECTED: { errorClass: 'UnrecoverableError', retryable: false, message: 'cleanup_all answered something other than the long 0 ScyllaDB answers when done' },
  // cluster views, ring and tablets (conditions/, ring/, tasks/tablet-balancing)
  NO_CLUSTER_VIEW: { errorClass: 'RecoverableError', retryable: true, message: 'no node answered with its view of the cluster' },
  NODE_ADDRESS_UNKNOWN: { errorClass: 'RecoverableError', retryable: true, message: "the node's address is not in the cluster's view (yet)" },
  NO_NODE_ANSWERED: { errorClass: 'RecoverableError', retryable: true, message: 'no node answered the tablet balancing call' },
  NO_RING_SOURCE: { errorClass: 'RecoverableError', retryable: true, message: 'no node answered to read the token ring' },
  TABLETS_UNSUPPORTED: { errorClass: 'InvalidInputError', retryable: undefined, message: 'replica_set planning of tablet keyspaces is not supported; the keyspaces are listed' },
  ROLES_UNAVAILABLE: { errorClass: 'InvalidInputError', retryable: undefined, message: 'order: role_aware: no node answered its REST API, so the node roles are unknown at plan time' },
  RING_CHANGED: { errorClass: 'UnrecoverableError', retryable: false, message: 'the token ring changed since the plan was made: plan again' },
} as const satisfies ErrorCodeCatalogue;

/** A code of {@link TASKS_SCYLLA_ERROR_CODES}. */
export type TasksScyllaErrorCode = keyof typeof TASKS_SCYLLA_ERROR_CODES;
