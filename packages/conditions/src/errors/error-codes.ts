import type { ErrorCodeCatalogue } from '@scylla-cp/core';

/**
 * Every error code `@scylla-cp/conditions` throws (one catalogue per package; core's own codes
 * are in `CORE_ERROR_CODES`). A test checks that each code written in `src/` is listed here, and
 * that each `PROMETHEUS_<ERRORTYPE>` entry's retry intent is what
 * {@link isRecoverablePrometheusError} says for it.
 */
export const CONDITIONS_ERROR_CODES = {
  // Prometheus requests: one class, PrometheusError, code PROMETHEUS_<errorType upper-cased>
  PROMETHEUS_BAD_DATA: { errorClass: 'PrometheusError', retryable: false, message: 'the PromQL expression or a parameter is invalid (Prometheus bad_data)' },
  PROMETHEUS_EXECUTION: { errorClass: 'PrometheusError', retryable: false, message: 'the query cannot be evaluated on this data, e.g. many-to-many matching (execution)' },
  PROMETHEUS_NOT_FOUND: { errorClass: 'PrometheusError', retryable: false, message: 'wrong URL or API path (not_found)' },
  PROMETHEUS_UNEXPECTED_RESPONSE: { errorClass: 'PrometheusError', retryable: false, message: 'JSON that is not a Prometheus API response, or a result type the caller cannot use' },
  PROMETHEUS_TIMEOUT: { errorClass: 'PrometheusError', retryable: true, message: 'Prometheus timed out evaluating the query' },
  PROMETHEUS_CANCELED: { errorClass: 'PrometheusError', retryable: true, message: 'Prometheus cancelled the query' },
  PROMETHEUS_UNAVAILABLE: { errorClass: 'PrometheusError', retryable: true, message: 'Prometheus is not ready or overloaded' },
  PROMETHEUS_INTERNAL: { errorClass: 'PrometheusError', retryable: true, message: 'an internal Prometheus error' },
  PROMETHEUS_CONNECTION: { errorClass: 'PrometheusError', retryable: true, message: 'Prometheus could not be reached (refused, reset, DNS failure)' },
  PROMETHEUS_CLIENT_TIMEOUT: { errorClass: 'PrometheusError', retryable: true, message: "no complete reply within the client's timeoutSeconds" },
  PROMETHEUS_INVALID_JSON: { errorClass: 'PrometheusError', retryable: true, message: 'a 2xx reply whose body is not JSON (a proxy page, a truncated body)' },
  PROMETHEUS_HTTP: { errorClass: 'PrometheusError', retryable: undefined, message: 'a non-2xx reply that is not a Prometheus error object: recoverable on 5xx and 429, not on any other status' },
  // settings, checked at plan time
  INVALID_PROMETHEUS_URL: { errorClass: 'InvalidInputError', retryable: undefined, message: 'the Prometheus url is not an http(s) URL' },
  INVALID_PROMETHEUS_AUTH: { errorClass: 'InvalidInputError', retryable: undefined, message: 'both basic auth and a bearer token were given: choose one' },
  INVALID_PROMETHEUS_SETTINGS: { errorClass: 'InvalidInputError', retryable: undefined, message: 'connection.prometheus (or a node series setting) is not valid; the key and the fix are named' },
  MISSING_PROMETHEUS_URL: { errorClass: 'InvalidInputError', retryable: undefined, message: 'a Prometheus condition is used but connection.prometheus.url is not set' },
  INVALID_ALERTMANAGER_SETTINGS: { errorClass: 'InvalidInputError', retryable: undefined, message: 'connection.alertmanager is not valid (or names an unset environment variable)' },
  MISSING_ALERTMANAGER_URL: { errorClass: 'InvalidInputError', retryable: undefined, message: '!alerts-silent is used but connection.alertmanager.url is not set' },
  // Alertmanager requests
  ALERTMANAGER_UNREACHABLE: { errorClass: 'RecoverableError', retryable: true, message: 'Alertmanager could not be reached' },
  ALERTMANAGER_UNAVAILABLE: { errorClass: 'RecoverableError', retryable: true, message: 'Alertmanager answered 5xx or 429' },
  ALERTMANAGER_REFUSED: { errorClass: 'UnrecoverableError', retryable: false, message: 'Alertmanager refused the alerts query (another 4xx: URL, credentials)' },
  ALERTMANAGER_BAD_REPLY: { errorClass: 'UnrecoverableError', retryable: false, message: 'Alertmanager sent a body that is not a JSON list of alerts' },
} as const satisfies ErrorCodeCatalogue;

/** A code of {@link CONDITIONS_ERROR_CODES}. */
export type ConditionsErrorCode = keyof typeof CONDITIONS_ERROR_CODES;
