import { classifyError, type ErrorClass } from './classify-error.js';

/** The JSON form of an error as stored with a step record or job. */
export interface ErrorDetail {
  /** The error's class name, e.g. `ConditionTimeoutError`. */
  name: string;
  message: string;
  /** The error's code when it has one (`ECONNREFUSED`, `CONDITION_TIMEOUT`, ...). */
  code?: string;
  /** What {@link classifyError} said of it. */
  classification: ErrorClass;
  /** The error's `details`, if any (JSON-serializable). */
  details?: Record<string, unknown>;
  /** The cause, serialized the same way. */
  cause?: ErrorDetail;
}

/** Serializes any thrown value into an {@link ErrorDetail} (cause chain up to 4 levels). */
export function toErrorDetail(error: unknown, depth = 0): ErrorDetail {
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
    const e = error as Error & { code?: unknown; details?: unknown; cause?: unknown };
    const detail: ErrorDetail = {
      name: e.name ?? 'Error',
      message: String(e.message),
      classification: classifyError(error),
    };
    if (typeof e.code === 'string') detail.code = e.code;
    if (e.details && typeof e.details === 'object' && Object.keys(e.details).length > 0) {
      detail.details = e.details as Record<string, unknown>;
    }
    if (e.cause !== undefined && depth < 4) detail.cause = toErrorDetail(e.cause, depth + 1);
    return detail;
  }
  return { name: typeof error, message: String(error), classification: 'unrecoverable' };
}
