import type { ErrorCodeCatalogue } from '@scylla-cp/core';

/**
 * Every error code `@scylla-cp/sim` writes: its own, and the Node/undici network codes it
 * emulates so that clients classify a simulated failure as they would a real one.
 */
export const SIM_ERROR_CODES = {
  MISSING_NODE: { errorClass: 'InvalidInputError', retryable: undefined, message: 'the simulated node shell was asked for outside a node scope (a cluster step)' },
  INVALID_INVENTORY: { errorClass: 'InvalidInputError', retryable: undefined, message: "a node whose connection.shell is not the simulator's (kind 'sim' with its url); write the inventory with SimCluster.writeInventory" },
  SHELL_UNREACHABLE: { errorClass: 'RecoverableError', retryable: true, message: "the simulated host is powered off, or its shell endpoint cannot be reached (ssh's 'No route to host')" },
  SHELL_TIMEOUT: { errorClass: 'RecoverableError', retryable: true, message: 'a simulated shell command ran longer than its timeout' },
  SIM_SHELL_REJECTED: { errorClass: 'InvalidInputError', retryable: undefined, message: "the simulator's shell endpoint rejected the command (4xx): not a command it emulates" },
  // emulated network failures (sim-errors.ts, sim-request-pool.ts); classifyError: recoverable
  ECONNREFUSED: { errorClass: 'SimConnectionError', retryable: undefined, message: "the node's REST API is not listening (process down, or not started yet)" },
  ECONNRESET: { errorClass: 'SimConnectionError', retryable: undefined, message: 'the node died while answering' },
  UND_ERR_HEADERS_TIMEOUT: { errorClass: 'Error', retryable: undefined, message: 'an in-process request waited longer than its headers timeout (as undici would say)' },
} as const satisfies ErrorCodeCatalogue;

/** A code of {@link SIM_ERROR_CODES}. */
export type SimErrorCode = keyof typeof SIM_ERROR_CODES;
