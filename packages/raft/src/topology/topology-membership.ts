import type { TopologyNode } from './topology-types.js';

/**
 * Raft group membership, as the coordinator changes it (ScyllaDB adds a joining
 * node to group 0 as a non-voter, promotes it once normal, removes a node that
 * left). Every method must be idempotent. @default no-ops
 */
export interface TopologyMembership {
  addNonVoter(node: TopologyNode): Promise<void>;
  promoteToVoter(nodeId: string): Promise<void>;
  remove(nodeId: string): Promise<void>;
  /**
   * Hands Raft leadership to another voter. Called when the node leaving the
   * ring is the coordinator's own node (ScyllaDB: step_down_as_nonvoter), so
   * that another coordinator removes it. @default absent: the leaving
   * coordinator finishes its own removal. `candidates` are the other normal
   * nodes, to promote first when no other voter is left.
   */
  stepDown?(candidates: readonly string[]): Promise<void>;
}

/** A {@link TopologyMembership} that does nothing (the default). */
export const NOOP_MEMBERSHIP: TopologyMembership = {
  addNonVoter: async () => {},
  promoteToVoter: async () => {},
  remove: async () => {},
};
