import { defineService, type ServiceContext, type ServiceProvider } from '@scylla-cp/core';
import { PrometheusClient, type PrometheusApi } from './prometheus-client.js';
import { prometheusClientOptions, prometheusSettings } from './prometheus-settings.js';

/**
 * The service key of the cluster's Prometheus client. Conditions of this
 * package resolve it through {@link prometheus}; override it with
 * `registry.provide({ key: PrometheusService, create: () => myClient })`.
 */
export const PrometheusService = defineService<PrometheusApi>('prometheus', 'Prometheus HTTP API client for the cluster');

/** The Prometheus client of a task's or condition's context. */
export const prometheus = (ctx: ServiceContext): PrometheusApi => ctx.services.get(PrometheusService);

/** Options of {@link prometheusServiceProvider}. */
export interface PrometheusServiceProviderOptions {
  /** Where `*_env` settings are read from. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/**
 * The default provider of {@link PrometheusService}: builds a
 * {@link PrometheusClient} from the inventory's cluster-wide
 * `connection.prometheus` section (url, auth, timeouts, headers). Clients are
 * cached by their settings, so every context of a job shares one connection
 * pool; `dispose()` closes them.
 *
 * Throws `InvalidInputError` (code `MISSING_PROMETHEUS_URL` or
 * `INVALID_PROMETHEUS_SETTINGS`) from `create` when the section is missing or
 * invalid; a condition that needs the client then fails at once, naming the key.
 */
export function prometheusServiceProvider(options: PrometheusServiceProviderOptions = {}): ServiceProvider<PrometheusApi> {
  const clients = new Map<string, PrometheusClient>();
  return {
    key: PrometheusService,
    create(scope) {
      const settings = prometheusSettings(scope.inventory);
      const clientOptions = prometheusClientOptions(settings, options.env ?? process.env, `inventory ${scope.inventory.name}`);
      const cacheKey = JSON.stringify(clientOptions);
      let client = clients.get(cacheKey);
      if (!client) {
        client = new PrometheusClient(clientOptions);
        clients.set(cacheKey, client);
      }
      return client;
    },
    async dispose() {
      const all = [...clients.values()];
      clients.clear();
      await Promise.all(all.map((c) => c.close()));
    },
  };
}
