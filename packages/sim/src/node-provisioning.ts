import { SimNode, type ApiGroup } from './sim-node.js';

/** Path of the Scylla configuration file in each node's virtual filesystem. */
export const SCYLLA_YAML_PATH = '/etc/scylla/scylla.yaml';

/** The systemd unit of Scylla. */
export const SCYLLA_UNIT = 'scylla-server';

/** Every API group a started node registers. */
const ALL_GROUPS: ApiGroup[] = [
  'system',
  'snitch',
  'task_manager',
  'storage_proxy',
  'token_metadata',
  'gossiper',
  'failure_detector',
  'repair',
  'compaction_manager',
  'column_family',
  'snapshot',
  'storage_service',
  'transport',
];

/** What makes a node's host: where it stands, its identity, and the cluster facts its files carry. */
export interface NodeProvision {
  dc: string;
  /** Index of the datacenter in the cluster's options (the second octet of the address is `dcIndex + 1`). */
  dcIndex: number;
  rack: string;
  /** The node's number within its rack (1, 2, ...): the id is `<dc>-<rack>-n<number>`. */
  number: number;
  /** How many nodes of the datacenter came before it (the last two octets of the address). */
  indexInDc: number;
  /** Its index in the cluster's node list. */
  index: number;
  hostId: string;
  shards: number;
  nowMs: number;
  schemaVersion: string;
  clusterName: string;
  tokensPerNode: number;
  /** The address in scylla.yaml's `seeds` (the cluster's first node; the node itself when it is the first). */
  seed: string | undefined;
}

/** The node id of the `number`th node of a rack. */
export function nodeIdOf(dc: string, rack: string, number: number): string {
  return `${dc}-${rack}-n${number}`;
}

/**
 * Provisions a node's host as a new simulated node: its id and address, every API group
 * registered, `/etc/scylla/scylla.yaml` and `cassandra-rackdc.properties` written, and the
 * node exporter unit enabled. The node is not registered in any cluster.
 */
export function provisionNode(p: NodeProvision): SimNode {
  const node = new SimNode({
    id: nodeIdOf(p.dc, p.rack, p.number),
    address: `10.${p.dcIndex + 1}.${Math.floor(p.indexInDc / 250)}.${(p.indexInDc % 250) + 1}`,
    dc: p.dc,
    rack: p.rack,
    zone: p.rack,
    hostId: p.hostId,
    index: p.index,
    shards: p.shards,
    nowMs: p.nowMs,
    schemaVersion: p.schemaVersion,
  });
  for (const g of ALL_GROUPS) node.groups.add(g);
  node.files.set(SCYLLA_YAML_PATH, { content: initialScyllaYaml(node, p), mode: 0o644, owner: 'root:root', mtimeMs: p.nowMs });
  node.files.set('/etc/scylla/cassandra-rackdc.properties', {
    content: `dc=${node.dc}\nrack=${node.rack}\nprefer_local=true\n`,
    mode: 0o644,
    owner: 'root:root',
    mtimeMs: p.nowMs,
  });
  node.otherUnits.set('scylla-node-exporter', true);
  return node;
}

function initialScyllaYaml(node: SimNode, p: NodeProvision): string {
  const seeds = p.seed ?? node.address;
  return [
    '# Scylla storage config YAML (simulated node)',
    '',
    '# The name of the cluster.',
    `cluster_name: '${p.clusterName}'`,
    '',
    '# Number of vnode tokens of this node.',
    `num_tokens: ${p.tokensPerNode}`,
    '',
    'data_file_directories:',
    '    - /var/lib/scylla/data',
    'commitlog_directory: /var/lib/scylla/commitlog',
    '',
    'seed_provider:',
    '    - class_name: org.apache.cassandra.locator.SimpleSeedProvider',
    '      parameters:',
    `          - seeds: "${seeds}"`,
    '',
    `listen_address: ${node.address}`,
    `rpc_address: ${node.address}`,
    'native_transport_port: 9042',
    'api_port: 10000',
    'api_address: 127.0.0.1',
    'prometheus_port: 9180',
    '',
    'endpoint_snitch: GossipingPropertyFileSnitch',
    '',
    '# compaction_throughput_mb_per_sec: 0',
    'compaction_static_shares: 0',
    '',
  ].join('\n');
}
