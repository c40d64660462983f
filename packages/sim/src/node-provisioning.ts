/** Path of the Scylla configuration file in each node's virtual filesystem. */
export const SCYLLA_YAML_PATH = '/etc/scylla/scylla.yaml';

/** The systemd unit of Scylla. */
export const SCYLLA_UNIT = 'scylla-server';
