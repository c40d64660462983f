import { connectionSettings, defineService, InvalidInputError, type ClusterInventory, type ServiceContext, type ServiceProvider } from '@scylla-cp/core';
import { z } from 'zod';
import { AlertmanagerClient, type AlertmanagerApi, type AlertmanagerClientOptions } from './alertmanager-client.js';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

/**
 * zod schema of the inventory's `connection.alertmanager` section (cluster
 * wide). Unknown keys are errors.
 *
 * ```yaml
 * connection:
 *   alertmanager:
 *     url: http://alertmanager:9093          # required for !alerts-silent
 *     basic_auth: {username: ops, password_env: AM_PASSWORD}   # or bearer_token_env
 *     timeout_seconds: 10                     # default 10
 *     headers: {X-Scope-OrgID: scylla}        # default {}
 * ```
 */
export const alertmanagerSettingsSchema = z
  .object({
    url: z.string().url().optional(),
    basic_auth: z
      .object({ username: z.string(), password: z.string().optional(), password_env: envName.optional() })
      .strict()
      .refine((a) => (a.password === undefined) !== (a.password_env === undefined), { message: 'give exactly one of password and password_env' })
      .optional(),
    bearer_token_env: envName.optional(),
    timeout_seconds: z.number().positive().max(300).optional(),
    headers: z.record(z.string(), z.string()).optional(),
  })
  .strict();

/** The parsed `connection.alertmanager` section. */
export type AlertmanagerSettings = z.output<typeof alertmanagerSettingsSchema>;

/** The service key of the cluster's Alertmanager client. */
export const AlertmanagerService = defineService<AlertmanagerApi>('alertmanager', 'Alertmanager API v2 client for the cluster');

/** The Alertmanager client of a condition's context. */
export const alertmanager = (ctx: ServiceContext): AlertmanagerApi => ctx.services.get(AlertmanagerService);

/** Client options from the inventory's `connection.alertmanager`, reading `*_env` secrets from `env`. */
export function alertmanagerClientOptions(inventory: ClusterInventory, env: NodeJS.ProcessEnv = process.env): AlertmanagerClientOptions {
  const parsed = alertmanagerSettingsSchema.safeParse(connectionSettings(inventory, undefined, 'alertmanager'));
  if (!parsed.success) {
    throw new InvalidInputError(`inventory ${inventory.name}: invalid connection.alertmanager: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(section)'}: ${i.message}`).join('; ')}`, {
      code: 'INVALID_ALERTMANAGER_SETTINGS',
    });
  }
  const s = parsed.data;
  if (s.url === undefined) {
    throw new InvalidInputError(
      `inventory ${inventory.name} has no connection.alertmanager.url; add e.g. "connection: { alertmanager: { url: http://alertmanager:9093 } }" to use !alerts-silent`,
      { code: 'MISSING_ALERTMANAGER_URL' },
    );
  }
  const fromEnv = (name: string, what: string): string => {
    const v = env[name];
    if (!v) throw new InvalidInputError(`connection.alertmanager.${what} names environment variable ${name}, which is not set`, { code: 'INVALID_ALERTMANAGER_SETTINGS' });
    return v;
  };
  const o: AlertmanagerClientOptions = { url: s.url };
  if (s.basic_auth) o.basicAuth = { username: s.basic_auth.username, password: s.basic_auth.password ?? fromEnv(s.basic_auth.password_env!, 'basic_auth.password_env') };
  if (s.bearer_token_env) o.bearerToken = fromEnv(s.bearer_token_env, 'bearer_token_env');
  if (s.timeout_seconds !== undefined) o.timeoutSeconds = s.timeout_seconds;
  if (s.headers) o.headers = s.headers;
  return o;
}

/**
 * The default provider of {@link AlertmanagerService}: one
 * {@link AlertmanagerClient} per distinct settings, closed by `dispose()`.
 */
export function alertmanagerServiceProvider(options: { env?: NodeJS.ProcessEnv } = {}): ServiceProvider<AlertmanagerApi> {
  const clients = new Map<string, AlertmanagerClient>();
  return {
    key: AlertmanagerService,
    create(scope) {
      const o = alertmanagerClientOptions(scope.inventory, options.env ?? process.env);
      const key = JSON.stringify(o);
      let c = clients.get(key);
      if (!c) {
        c = new AlertmanagerClient(o);
        clients.set(key, c);
      }
      return c;
    },
    async dispose() {
      const all = [...clients.values()];
      clients.clear();
      await Promise.all(all.map((c) => c.close()));
    },
  };
}
