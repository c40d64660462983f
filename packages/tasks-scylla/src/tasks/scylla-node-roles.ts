import { InvalidInputError, type ClusterInventory, type NodeRoleProvider, type NodeRoles } from '@scylla-cp/core';
import { ScyllaApiProviders, type ScyllaApiProvidersOptions } from '../services/scylla-api-service.js';
import { RAFT_TABLET_ROUTES } from './raft-tablet-routes.js';

/**
 * The {@link NodeRoleProvider} for ScyllaDB, for `order: role_aware`: asks the
 * inventory's nodes in order until one answers, and takes from it the
 * cluster's `nodetool status` view (inventory nodes that are not `UN` there,
 * or missing from it, are unhealthy) and the group0 leader
 * (`GET /raft/leader_host`, a host id, placed through `/storage_service/host_id`).
 * A node that does not answer at all counts as unhealthy too. Call `close()`
 * when done (it owns its clients).
 * @throws InvalidInputError `ROLES_UNAVAILABLE` when no node answers.
 */
export function scyllaRoleProvider(options: ScyllaApiProvidersOptions = {}): NodeRoleProvider & { close(): Promise<void> } {
  const providers = new ScyllaApiProviders(options);
  return {
    async roles(inventory: ClusterInventory): Promise<NodeRoles> {
      const silent: string[] = [];
      const errors: string[] = [];
      for (const node of inventory.nodes) {
        const api = providers.clientFor(inventory, node);
        try {
          const [view, leaderHostId] = await Promise.all([api.nodeStatus(), api.call(RAFT_TABLET_ROUTES.leaderHost)]);
          const unhealthy = inventory.nodes.filter((n) => silent.includes(n.id) || view.get(n.address)?.code !== 'UN').map((n) => n.id);
          const leaderAddress = view.byHostId(leaderHostId)?.address;
          const leader = inventory.nodes.find((n) => n.address === leaderAddress)?.id;
          const roles: NodeRoles = { unhealthy, source: `seen from ${node.id}` };
          if (leader !== undefined) roles.leader = leader;
          return roles;
        } catch (e) {
          silent.push(node.id);
          errors.push(`${node.id}: ${(e as Error)?.message ?? String(e)}`);
        }
      }
      throw new InvalidInputError(`order: role_aware: no node of ${inventory.name} answered its REST API, so its roles are unknown (${errors.join('; ')})`, {
        code: 'ROLES_UNAVAILABLE',
      });
    },
    close: () => providers.dispose(),
  };
}
