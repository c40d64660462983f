import { InvalidInputError, type ClusterInventory, type InventoryNode } from '@scylla-cp/core';
import { DEFAULT_INSTANCE_FORMAT, DEFAULT_INSTANCE_LABEL, prometheusSettings } from './prometheus-settings.js';

/** How one inventory node's series are found in Prometheus. */
export interface NodeSeries {
  /** The label naming the node's series. @default "instance" */
  label: string;
  /** The label's value for this node, e.g. `10.0.0.1:9180`. */
  value: string;
  /** A PromQL label matcher selecting exactly this node, e.g. `instance="10.0.0.1:9180"`. */
  matcher: string;
}

/** Quotes `s` as a PromQL double-quoted string literal. */
export function promqlString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Escapes `s` so that it matches itself literally in a Prometheus (RE2) regex. */
export function regexEscape(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

const FORMAT_PLACEHOLDER = /\{([a-z_]+)\}/g;

/**
 * Expands an `instance_format` for a node. Placeholders: `{address}` (an IPv6
 * literal is bracketed, as Prometheus writes it: `[::1]`), `{id}`, `{dc}`,
 * `{rack}`, `{zone}`.
 * @throws InvalidInputError naming an unknown placeholder.
 */
export function formatInstance(format: string, node: InventoryNode): string {
  const address = node.address.includes(':') && !node.address.startsWith('[') ? `[${node.address}]` : node.address;
  const values: Record<string, string> = { address, id: node.id, dc: node.dc, rack: node.rack, zone: node.zone };
  return format.replace(FORMAT_PLACEHOLDER, (whole, name: string) => {
    const v = values[name];
    if (v === undefined) {
      throw new InvalidInputError(
        `connection.prometheus.instance_format ${JSON.stringify(format)} uses unknown placeholder ${whole}; use {address}, {id}, {dc}, {rack} or {zone}`,
        { code: 'INVALID_PROMETHEUS_SETTINGS' },
      );
    }
    return v;
  });
}

/**
 * The series of one node, by this precedence:
 * 1. the node's `connection.prometheus_target` (a string, used verbatim; the
 *    simulator writes each node's `/metrics` host:port there);
 * 2. `connection.prometheus.instance_format` (node section merged over the
 *    cluster's) expanded by {@link formatInstance};
 * 3. the default `{address}:9180`.
 * The label is `connection.prometheus.instance_label` (default `instance`).
 * @throws InvalidInputError for invalid settings.
 */
export function nodeSeries(inventory: ClusterInventory, node: InventoryNode): NodeSeries {
  const settings = prometheusSettings(inventory, node);
  const label = settings.instance_label ?? DEFAULT_INSTANCE_LABEL;
  const target = node.connection.prometheus_target;
  let value: string;
  if (target !== undefined) {
    if (typeof target !== 'string' || target === '') {
      throw new InvalidInputError(`node ${node.id}: connection.prometheus_target must be a non-empty string like "10.0.0.1:9180"`, {
        code: 'INVALID_PROMETHEUS_SETTINGS',
      });
    }
    value = target;
  } else {
    value = formatInstance(settings.instance_format ?? DEFAULT_INSTANCE_FORMAT, node);
  }
  return { label, value, matcher: `${label}=${promqlString(value)}` };
}

/**
 * A matcher selecting the series of all given nodes (default: every node of
 * the inventory): `instance=~"a:9180|b:9180"`. When nodes use different
 * labels, one `or`-free matcher is impossible and an error is thrown.
 * @throws InvalidInputError for an empty inventory or mixed labels.
 */
export function clusterSeriesMatcher(inventory: ClusterInventory, nodes: readonly InventoryNode[] = inventory.nodes): string {
  if (nodes.length === 0) throw new InvalidInputError(`inventory ${inventory.name} has no nodes to select series for`);
  const series = nodes.map((n) => nodeSeries(inventory, n));
  const label = series[0]!.label;
  if (series.some((s) => s.label !== label)) {
    throw new InvalidInputError(`inventory ${inventory.name}: nodes use different connection.prometheus.instance_label values; use one label for the whole cluster`, {
      code: 'INVALID_PROMETHEUS_SETTINGS',
    });
  }
  const values = [...new Set(series.map((s) => s.value))].sort();
  return `${label}=~${promqlString(values.map(regexEscape).join('|'))}`;
}

/**
 * Formats labels as PromQL does: `{instance="a:9180",shard="0"}` (sorted,
 * `__name__` and `omit` left out); `{}` when nothing is left.
 */
export function formatLabels(labels: Readonly<Record<string, string>>, omit: readonly string[] = []): string {
  const keys = Object.keys(labels)
    .filter((k) => k !== '__name__' && !omit.includes(k))
    .sort();
  return `{${keys.map((k) => `${k}=${promqlString(labels[k]!)}`).join(',')}}`;
}
