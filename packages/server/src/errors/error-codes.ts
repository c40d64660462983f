import type { ErrorCodeCatalogue } from '@scylla-cp/core';

/**
 * Every error code `@scylla-cp/server` throws itself. The HTTP API answers every scylla-cp error
 * with its `code` (core's are in `CORE_ERROR_CODES`).
 */
export const SERVER_ERROR_CODES = {
  BAD_TOKENS_FILE: { errorClass: 'InvalidInputError', retryable: undefined, message: 'the tokens file is not valid JSON of {"tokens": [{name, role, sha256}]}, or lists a token twice' },
  JOB_STATE_CONFLICT: { errorClass: 'JobStateConflictError', retryable: undefined, message: 'the job is not in a state that allows the request (e.g. resume of a running job); answered 409' },
  STORE_WITHOUT_AUDIT: { errorClass: 'InvalidInputError', retryable: undefined, message: 'createServer: the job store cannot record audit events without a lease' },
  TAKEOVER_DECLINED: { errorClass: 'TakeoverDeclinedError', retryable: undefined, message: 'once it held the lease, the job was no longer one to take over (finished, or a control request pending)' },
  // codes of the HTTP API's own error bodies ({"error": {code, message}}), besides the codes of scylla-cp errors
  INVALID_REQUEST: { errorClass: 'HTTP 400 body', retryable: undefined, message: 'the request does not match the API schema; problems lists each' },
  INVALID_INPUT: { errorClass: 'HTTP 400 body', retryable: undefined, message: 'the request is well-formed but its input is not valid' },
  BAD_REQUEST: { errorClass: 'HTTP 4xx body', retryable: undefined, message: 'a 4xx from the HTTP layer (e.g. a body too large or not JSON) without a code of its own' },
  UNAUTHENTICATED: { errorClass: 'HTTP 401 body', retryable: undefined, message: 'no bearer token, or one the tokens file does not hold' },
  FORBIDDEN: { errorClass: 'HTTP 403 body', retryable: undefined, message: "the token's role does not allow the request" },
  INTERNAL: { errorClass: 'HTTP 500 body', retryable: undefined, message: 'an unexpected error (a scylla-cp error keeps its own code)' },
} as const satisfies ErrorCodeCatalogue;

/** A code of {@link SERVER_ERROR_CODES}. */
export type ServerErrorCode = keyof typeof SERVER_ERROR_CODES;
