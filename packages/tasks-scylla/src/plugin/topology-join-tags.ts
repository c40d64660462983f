import { z } from 'zod';
import { NodeJoined } from '../conditions/node-joined.js';
import { TopologyRequestDone } from '../conditions/topology-request-done.js';
import { TopologyRequestsIdle } from '../conditions/topology-requests-idle.js';
import { ScyllaBootstrap } from '../tasks/scylla-bootstrap.js';

const positive = z.number().positive();
const joinParams = z
  .object({
    seeds: z.array(z.string().min(1)).min(1).optional(),
    config_path: z.string().startsWith('/').optional(),
    service: z.string().min(1).optional(),
    poll_interval_seconds: positive.optional(),
    start_timeout_seconds: positive.optional(),
  })
  .strict();

/** Parameter schemas of the issue-19 tags (part of `scyllaTagSchemas`). */
export const topologyJoinSchemas = {
  'scylla-bootstrap': joinParams,
  'scylla-replace': joinParams.extend({ replaces: z.string().min(1).optional() }).strict(),
  'topology-request-done': z.object({}).strict(),
  'node-joined': z.object({}).strict(),
  'topology-requests-idle': z.object({}).strict(),
} as const;

type JoinParams = z.output<typeof joinParams> & { replaces?: string };

function common(p: JoinParams) {
  return {
    ...(p.seeds ? { seeds: p.seeds } : {}),
    ...(p.config_path ? { configPath: p.config_path } : {}),
    ...(p.service ? { service: p.service } : {}),
    ...(p.poll_interval_seconds !== undefined ? { pollIntervalSeconds: p.poll_interval_seconds } : {}),
    ...(p.start_timeout_seconds !== undefined ? { startTimeoutSeconds: p.start_timeout_seconds } : {}),
  };
}

/** Node tasks `scylla-bootstrap` and `scylla-replace`. */
export function topologyJoinNodeTasks() {
  return {
    'scylla-bootstrap': {
      description: 'Join a new node: seeds in scylla.yaml, start scylla-server, wait for its topology request (done, or failed with the coordinator\'s reason)',
      params: topologyJoinSchemas['scylla-bootstrap'],
      create: (p: JoinParams) => new ScyllaBootstrap({ tag: 'scylla-bootstrap', ...common(p) }),
    },
    'scylla-replace': {
      description: 'Replace a dead node (inventory replaces:, or replaces: here) by this new node: replace_node_first_boot, start, wait for the replace request',
      params: topologyJoinSchemas['scylla-replace'],
      create: (p: JoinParams) => new ScyllaBootstrap({ tag: 'scylla-replace', replace: true, ...(p.replaces ? { replaces: p.replaces } : {}), ...common(p) }),
    },
  };
}

/** Conditions `topology-request-done`, `node-joined` and (issue 16) `topology-requests-idle`. */
export function topologyJoinConditions() {
  return {
    'topology-request-done': {
      scope: 'node' as const,
      description: "The node's newest topology request (task manager node_ops) is done",
      params: topologyJoinSchemas['topology-request-done'],
      create: () => new TopologyRequestDone(),
    },
    'node-joined': {
      scope: 'node' as const,
      description: 'The node is UN, owns tokens (seen from a member) and the schema agrees',
      params: topologyJoinSchemas['node-joined'],
      create: () => new NodeJoined(),
    },
    'topology-requests-idle': {
      scope: 'cluster' as const,
      description: 'No topology request is queued or running (task manager node_ops, asked of a member); detail names the open ones and the coordinator',
      params: topologyJoinSchemas['topology-requests-idle'],
      create: () => new TopologyRequestsIdle(),
    },
  };
}
