/**
 * A REST reply with Scylla's error body `{"message": ..., "code": status}`. Thrown by the
 * simulated handlers; the router turns it into the reply.
 */
export class SimHttpError extends Error {
  /** HTTP status, equal to the body's `code`. */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'SimHttpError';
    this.status = status;
  }
}

/**
 * No HTTP reply at all: the connection was refused (the node's API is not listening) or reset
 * (the node died while answering). In-process requests reject with it; the HTTP servers close
 * their listener or destroy the socket instead. `code` is Node's (`ECONNREFUSED`, `ECONNRESET`).
 */
export class SimConnectionError extends Error {
  /** `ECONNREFUSED` or `ECONNRESET`. */
  readonly code: 'ECONNREFUSED' | 'ECONNRESET';
  constructor(code: 'ECONNREFUSED' | 'ECONNRESET', message: string) {
    super(message);
    this.name = 'SimConnectionError';
    this.code = code;
  }
}

/** The 500 message format of an uncaught C++ exception in Scylla's API: `<type> (<what>)`. */
export function runtimeError(what: string): SimHttpError {
  return new SimHttpError(500, `std::runtime_error (${what})`);
}
