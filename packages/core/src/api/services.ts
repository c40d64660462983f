import type { Clock } from '../clock/clock.js';
import { InvalidInputError } from '../errors/input-errors.js';
import type { ClusterInventory, InventoryNode } from '../inventory/inventory.js';
import type { JobInfo } from './job-info.js';

/**
 * A typed key naming a service that plugins put into execution contexts
 * (the Scylla REST client, a node shell, a Prometheus client), so that core
 * never imports them. Create one with {@link defineService} in the package
 * that owns the service, and export a one-line accessor beside it:
 *
 * ```ts
 * export const ScyllaApiService = defineService<ScyllaApiClient>('scylla-api', 'Scylla REST API client for the node');
 * export const scyllaApi = (ctx: ServiceContext) => ctx.services.get(ScyllaApiService);
 * // in a task: await scyllaApi(ctx).drain();
 * ```
 */
export interface ServiceKey<T> {
  /** Unique id; two keys with the same id are the same service. */
  readonly id: string;
  /** What the service is, for error messages. */
  readonly description: string;
  /** Phantom field carrying the service type; never set. */
  readonly __type?: T;
}

/** Creates a {@link ServiceKey}. */
export function defineService<T>(id: string, description = id): ServiceKey<T> {
  return Object.freeze({ id, description }) as ServiceKey<T>;
}

/** What a service factory knows when it builds a service for one execution. */
export interface ServiceScope {
  inventory: ClusterInventory;
  /** The node being operated on; absent at cluster scope. */
  node?: InventoryNode;
  job: JobInfo;
  clock: Clock;
  /** Aborted when the job is aborted. */
  signal: AbortSignal;
  /** Resolves other services in the same scope. */
  services: Services;
}

/**
 * Builds a service for a scope. Called each time a task or condition asks
 * for the service; a factory that holds connections should cache them
 * (e.g. one HTTP pool per node address) and release them in `dispose`.
 */
export interface ServiceProvider<T> {
  key: ServiceKey<T>;
  create(scope: ServiceScope): T;
  /** Releases whatever `create` cached. Called once when the engine is closed. */
  dispose?(): Promise<void> | void;
}

/** The services visible from an execution context. */
export interface Services {
  /** Returns the service; throws an `InvalidInputError` naming the key if none is provided. */
  get<T>(key: ServiceKey<T>): T;
  /** Whether a provider is registered for the key. */
  has(key: ServiceKey<unknown>): boolean;
}

/** Anything that carries services (every execution context does). */
export interface ServiceContext {
  readonly services: Services;
}

/**
 * Holds service providers. Later registrations for the same key replace
 * earlier ones, so a caller (a test, the simulator) can override a plugin's
 * default provider.
 */
export class ServiceRegistry {
  readonly #providers = new Map<string, ServiceProvider<unknown>>();

  /** Registers (or replaces) the provider for `provider.key`. Returns `this`. */
  provide<T>(provider: ServiceProvider<T>): this {
    this.#providers.set(provider.key.id, provider as ServiceProvider<unknown>);
    return this;
  }

  /** Whether a provider is registered for the key. */
  has(key: ServiceKey<unknown>): boolean {
    return this.#providers.has(key.id);
  }

  /** A {@link Services} view bound to one scope (scope.services is filled in). */
  bind(scope: Omit<ServiceScope, 'services'>): Services {
    const cache = new Map<string, unknown>();
    const services: Services = {
      get: <T>(key: ServiceKey<T>): T => {
        if (cache.has(key.id)) return cache.get(key.id) as T;
        const provider = this.#providers.get(key.id);
        if (!provider) {
          throw new InvalidInputError(
            `no provider for service "${key.id}" (${key.description}); register the plugin that provides it or pass one to the engine`,
            { code: 'MISSING_SERVICE', details: { service: key.id } },
          );
        }
        const value = provider.create({ ...scope, services });
        cache.set(key.id, value);
        return value as T;
      },
      has: (key) => this.#providers.has(key.id),
    };
    return services;
  }

  /** Calls every provider's `dispose`. Errors are collected and rethrown as one. */
  async dispose(): Promise<void> {
    const errors: unknown[] = [];
    for (const p of this.#providers.values()) {
      try {
        await p.dispose?.();
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'service dispose failed');
  }
}
