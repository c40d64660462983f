import {
  defineService,
  InvalidInputError,
  type ClusterInventory,
  type InventoryNode,
  type ServiceContext,
  type ServiceProvider,
} from '@scylla-cp/core';
import { ScyllaApiClient, type ScyllaApiClientOptions, type ScyllaHttpPool } from '../client/scylla-api-client.js';
import { readConnectionSection, ScyllaApiSettingsSchema } from './connection-settings.js';

/** Gives the REST client of any node of the inventory (one cached client and pool per node). */
export interface ScyllaApiClients {
  /** The client of `node`, configured from `connection.scylla_api` (node settings win). */
  forNode(node: InventoryNode): ScyllaApiClient;
}

/** Service key: the Scylla REST client of the context's node. */
export const ScyllaApiService = defineService<ScyllaApiClient>('scylla-api', 'Scylla REST API client for the node');
/** Service key: REST clients of every node (for cluster-wide views and cluster-scope code). */
export const ScyllaApiClientsService = defineService<ScyllaApiClients>('scylla-api-clients', 'Scylla REST API clients for every node');

/** The REST client of the context's node: `await scyllaApi(ctx).drain()`. */
export const scyllaApi = (ctx: ServiceContext): ScyllaApiClient => ctx.services.get(ScyllaApiService);
/** The REST client of another node: `scyllaApiFor(ctx, node).liveEndpoints()`. */
export const scyllaApiFor = (ctx: ServiceContext, node: InventoryNode): ScyllaApiClient =>
  ctx.services.get(ScyllaApiClientsService).forNode(node);

/** Client options of `node` from the inventory's `connection.scylla_api` settings. */
export function scyllaApiOptionsFor(inventory: ClusterInventory, node: InventoryNode): ScyllaApiClientOptions {
  const s = readConnectionSection(inventory, node, 'scylla_api', ScyllaApiSettingsSchema);
  return {
    host: s.host ?? node.address,
    port: s.port,
    connectTimeoutSeconds: s.connect_timeout_seconds,
    headersTimeoutSeconds: s.headers_timeout_seconds,
    bodyTimeoutSeconds: s.body_timeout_seconds,
    longOperationTimeoutSeconds: s.long_operation_timeout_seconds,
    headers: s.headers,
    connections: s.connections,
  };
}

/** Options of {@link ScyllaApiProviders}. */
export interface ScyllaApiProvidersOptions {
  /**
   * Builds the HTTP pool of a node's client instead of an undici `Pool` (the simulator passes
   * its in-process pool here). Return `undefined` to use undici for that node.
   */
  poolFactory?: (node: InventoryNode, options: ScyllaApiClientOptions) => ScyllaHttpPool | undefined;
}

/**
 * The default providers of {@link ScyllaApiService} and {@link ScyllaApiClientsService}. They
 * share one cache: one {@link ScyllaApiClient} (one undici Pool) per distinct node settings,
 * closed by `dispose()`.
 */
export class ScyllaApiProviders {
  readonly #clients = new Map<string, ScyllaApiClient>();
  readonly #poolFactory: ScyllaApiProvidersOptions['poolFactory'];

  constructor(options: ScyllaApiProvidersOptions = {}) {
    this.#poolFactory = options.poolFactory;
  }

  /** The client for `node` (cached by its effective settings). */
  clientFor(inventory: ClusterInventory, node: InventoryNode): ScyllaApiClient {
    const options = scyllaApiOptionsFor(inventory, node);
    const key = `${node.id}\n${JSON.stringify(options)}`;
    let client = this.#clients.get(key);
    if (!client) {
      const pool = this.#poolFactory?.(node, options);
      client = new ScyllaApiClient(pool ? { ...options, pool } : options);
      this.#clients.set(key, client);
    }
    return client;
  }

  /** Closes every cached client. */
  async dispose(): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all(clients.map((c) => c.close()));
  }

  /** The provider of {@link ScyllaApiService} (node scope only). */
  nodeProvider(): ServiceProvider<ScyllaApiClient> {
    return {
      key: ScyllaApiService,
      create: (scope) => {
        if (!scope.node) {
          throw new InvalidInputError('scyllaApi(ctx) needs a node context; at cluster scope use scyllaApiFor(ctx, node)', {
            code: 'MISSING_NODE_CONTEXT',
          });
        }
        return this.clientFor(scope.inventory, scope.node);
      },
      dispose: () => this.dispose(),
    };
  }

  /** The provider of {@link ScyllaApiClientsService}. */
  clientsProvider(): ServiceProvider<ScyllaApiClients> {
    return {
      key: ScyllaApiClientsService,
      create: (scope) => ({ forNode: (node) => this.clientFor(scope.inventory, node) }),
      dispose: () => this.dispose(),
    };
  }
}
