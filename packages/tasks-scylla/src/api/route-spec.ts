/** One parameter of a {@link ScyllaRouteSpec}, as declared in ScyllaDB's API definitions. */
export interface ScyllaRouteParam {
  /** Parameter name, e.g. `keyspace`, `id`, `host`. */
  readonly name: string;
  /** Where it goes: `path`, `query` or `body`. */
  readonly in: string;
  /** Declared type: `string`, `long`, `boolean`, `array`, ... */
  readonly type: string;
  /** Whether Scylla answers 400 `Missing mandatory parameter '<name>'` when it is absent. */
  readonly required: boolean;
  /** Allowed values, when the definition lists them. */
  readonly enum?: readonly string[];
}

/** One operation of ScyllaDB's REST API, as recorded in the generated route manifest. */
export interface ScyllaRouteSpec {
  /** Definition file the operation comes from, without `.json`, e.g. `storage_service`. */
  readonly apiGroup: string;
  /** HTTP method in upper case. */
  readonly method: string;
  /** Path template with `{param}` placeholders, exactly as in the definitions (trailing `/` kept). */
  readonly path: string;
  /** The operation's nickname in the definitions, e.g. `get_operation_mode`. */
  readonly nickname: string;
  /**
   * Declared response type: a primitive (`string`, `long`, `boolean`, `double`, `void`),
   * `array<item>` (e.g. `array<mapper>`), a model name (`task_status`) or a `#/utils/...` reference.
   */
  readonly responseType: string;
  /** Allowed values of a string response, when declared (e.g. repair status). */
  readonly responseEnum?: readonly string[];
  /** Declared parameters. */
  readonly params: readonly ScyllaRouteParam[];
}
