import { connectionSettings, durationSecondsSchema, InvalidInputError, type ClusterInventory, type InventoryNode } from '@scylla-cp/core';
import { z } from 'zod';
import type { PrometheusClientOptions } from './prometheus-client.js';

/** The default `instance_format`: Scylla's Prometheus port on the node's address. */
export const DEFAULT_INSTANCE_FORMAT = '{address}:9180';
/** The default label that names a node's series. */
export const DEFAULT_INSTANCE_LABEL = 'instance';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

/**
 * zod schema of the inventory's `connection.prometheus` section (a node's own
 * `connection.prometheus` is merged over it, key by key). Unknown keys are errors.
 *
 * ```yaml
 * connection:
 *   prometheus:
 *     url: http://prometheus.example:9090     # required to query
 *     basic_auth: { username: ops, password_env: PROM_PASSWORD }   # or password: ...
 *     # bearer_token: ... / bearer_token_env: PROM_TOKEN
 *     timeout_seconds: 10                       # default 10
 *     headers: { X-Scope-OrgID: scylla }        # default {}
 *     instance_label: instance                  # default "instance"
 *     instance_format: '{address}:9180'         # default '{address}:9180'
 * nodes:
 *   - id: n1
 *     address: 10.0.0.1
 *     connection:
 *       prometheus_target: 10.0.0.1:9180        # this node's exact instance label value
 * ```
 */
export const prometheusSettingsSchema = z
  .object({
    url: z.string().min(1).optional(),
    basic_auth: z
      .object({
        username: z.string(),
        password: z.string().optional(),
        password_env: envName.optional(),
      })
      .strict()
      .refine((a) => (a.password === undefined) !== (a.password_env === undefined), {
        message: 'give exactly one of password and password_env',
      })
      .optional(),
    bearer_token: z.string().min(1).optional(),
    bearer_token_env: envName.optional(),
    timeout_seconds: durationSecondsSchema().optional(),
    connect_timeout_seconds: durationSecondsSchema().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    instance_label: z
      .string()
      .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus label name')
      .optional(),
    instance_format: z.string().min(1).optional(),
  })
  .strict()
  .refine((s) => [s.basic_auth, s.bearer_token, s.bearer_token_env].filter((x) => x !== undefined).length <= 1, {
    message: 'give at most one of basic_auth, bearer_token and bearer_token_env',
  });

/** The parsed `connection.prometheus` section. */
export type PrometheusSettings = z.output<typeof prometheusSettingsSchema>;

/**
 * Reads and validates `connection.prometheus` for the cluster (no `node`) or
 * for one node (its own section merged over the cluster's).
 * @throws InvalidInputError (code `INVALID_PROMETHEUS_SETTINGS`) naming each bad key.
 */
export function prometheusSettings(inventory: ClusterInventory, node?: InventoryNode): PrometheusSettings {
  const raw = connectionSettings(inventory, node, 'prometheus');
  const parsed = prometheusSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const where = node ? `node ${node.id}'s connection.prometheus (merged over the cluster's)` : 'connection.prometheus';
    throw new InvalidInputError(
      `inventory ${inventory.name}: invalid ${where}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(section)'}: ${i.message}`).join('; ')}`,
      { code: 'INVALID_PROMETHEUS_SETTINGS' },
    );
  }
  return parsed.data;
}

function fromEnv(name: string, env: NodeJS.ProcessEnv, what: string): string {
  const v = env[name];
  if (v === undefined || v === '') {
    throw new InvalidInputError(`connection.prometheus.${what} names environment variable ${name}, which is not set`, {
      code: 'INVALID_PROMETHEUS_SETTINGS',
    });
  }
  return v;
}

/**
 * Turns settings into {@link PrometheusClientOptions}, reading `*_env`
 * secrets from `env`.
 * @throws InvalidInputError when `url` is missing or a named variable is unset.
 */
export function prometheusClientOptions(
  settings: PrometheusSettings,
  env: NodeJS.ProcessEnv = process.env,
  inventoryName = 'the inventory',
): PrometheusClientOptions {
  if (settings.url === undefined) {
    throw new InvalidInputError(
      `${inventoryName} has no connection.prometheus.url; add e.g. "connection: { prometheus: { url: http://prometheus:9090 } }" to use Prometheus conditions`,
      { code: 'MISSING_PROMETHEUS_URL' },
    );
  }
  const options: PrometheusClientOptions = { url: settings.url };
  if (settings.basic_auth) {
    const password = settings.basic_auth.password ?? fromEnv(settings.basic_auth.password_env!, env, 'basic_auth.password_env');
    options.basicAuth = { username: settings.basic_auth.username, password };
  }
  if (settings.bearer_token !== undefined) options.bearerToken = settings.bearer_token;
  if (settings.bearer_token_env !== undefined) options.bearerToken = fromEnv(settings.bearer_token_env, env, 'bearer_token_env');
  if (settings.timeout_seconds !== undefined) options.timeoutSeconds = settings.timeout_seconds;
  if (settings.connect_timeout_seconds !== undefined) options.connectTimeoutSeconds = settings.connect_timeout_seconds;
  if (settings.headers !== undefined) options.headers = settings.headers;
  return options;
}
