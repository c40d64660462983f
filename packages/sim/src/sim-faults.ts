/** Operations a `die-during` fault can interrupt. */
/** `bootstrap`: a new node's streaming for its join or replace (issue 19). */
export type SimOperation = 'drain' | 'stop' | 'start' | 'repair' | 'decommission' | 'cleanup' | 'rebuild' | 'bootstrap';

/**
 * A fault injected into one node (`node` is the node id). Inject with
 * `cluster.faults.inject(fault)` or `POST /_sim/faults` (the same JSON).
 */
export type SimFault =
  /** Every REST reply of the node is delayed by `delayMs` (only paths starting with `pathPrefix`, if given). */
  | { kind: 'api-latency'; node: string; delayMs: number; pathPrefix?: string }
  /**
   * REST replies fail with `status` (default 500) and Scylla's error body. `count`: the next N
   * matching requests fail (a burst), then the fault is spent. `probability`: each matching
   * request fails with this probability (seeded PRNG). Neither: every matching request fails.
   * `message` defaults to `std::runtime_error (simulated fault)`.
   */
  | { kind: 'api-errors'; node: string; status?: number; count?: number; probability?: number; pathPrefix?: string; method?: string; message?: string }
  /** The node's REST API listener (and with `metrics: true` its metrics listener) is closed: connections are refused. */
  | { kind: 'refuse-connections'; node: string; metrics?: boolean }
  /**
   * The next starts of scylla-server never bring the node back. `crash` (default): the process
   * exits during startup, `systemctl start` fails (exit 1), the unit is `failed`. `stuck`: the
   * start "succeeds" (READY=1) but the node stays JOINING without native transport forever.
   */
  | { kind: 'never-return'; node: string; mode?: 'crash' | 'stuck' }
  /** Compaction progress on the node stops: pending compactions never drain (until cleared). */
  | { kind: 'compactions-never-settle'; node: string }
  /** The node's process dies `afterMs` (default: half the operation's duration) into the next `operation` (one shot). `host: true` powers the whole host off. */
  | { kind: 'die-during'; node: string; operation: SimOperation; afterMs?: number; host?: boolean }
  /**
   * When an operation-log entry matches `trigger` (`node`, `action`, e.g. `{ node: 'dc1-rack1-n1', action: 'drained' }`),
   * kill this fault's `node` after `delayMs` (default 0). One shot. `host: true` powers its host off.
   * Models "a second node goes down during a rolling restart".
   */
  | { kind: 'kill-on'; node: string; trigger: { node?: string; action: string }; delayMs?: number; host?: boolean }
  /** Repairs coordinated by the node fail: the next `count`, or each with `probability`, or all. */
  | { kind: 'repair-failures'; node: string; count?: number; probability?: number }
  /** The node reports a different schema version (no schema agreement) while the fault is active. */
  | { kind: 'schema-disagreement'; node: string };

/** An active fault and its id. */
export interface ActiveFault {
  /** Id to clear it with, e.g. `f3`. */
  id: string;
  fault: SimFault;
  /** When it was injected (clock ms). */
  injectedAtMs: number;
}

const KINDS = new Set([
  'api-latency',
  'api-errors',
  'refuse-connections',
  'never-return',
  'compactions-never-settle',
  'die-during',
  'kill-on',
  'repair-failures',
  'schema-disagreement',
]);
const OPERATIONS = new Set(['drain', 'stop', 'start', 'repair', 'decommission', 'cleanup', 'rebuild']);

/** Validates a fault from untrusted JSON; returns an error message or undefined. */
export function validateFault(value: unknown, nodeIds: ReadonlySet<string>): string | undefined {
  if (typeof value !== 'object' || value === null) return 'a fault must be a JSON object';
  const f = value as Record<string, unknown>;
  if (typeof f['kind'] !== 'string' || !KINDS.has(f['kind'])) {
    return `unknown fault kind ${JSON.stringify(f['kind'])}; expected one of ${[...KINDS].join(', ')}`;
  }
  if (typeof f['node'] !== 'string' || !nodeIds.has(f['node'])) {
    return `fault.node must be a node id of this cluster, got ${JSON.stringify(f['node'])}`;
  }
  const num = (k: string, min: number, max = Infinity) => {
    const v = f[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !(v >= min && v <= max)) return `fault.${k} must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`;
    return undefined;
  };
  switch (f['kind']) {
    case 'api-latency':
      if (typeof f['delayMs'] !== 'number') return 'fault.delayMs (number, milliseconds) is required';
      return num('delayMs', 0);
    case 'api-errors':
      return num('status', 100, 599) ?? num('count', 1) ?? num('probability', 0, 1);
    case 'die-during':
      if (typeof f['operation'] !== 'string' || !OPERATIONS.has(f['operation'])) {
        return `fault.operation must be one of ${[...OPERATIONS].join(', ')}`;
      }
      return num('afterMs', 0);
    case 'kill-on': {
      const t = f['trigger'] as Record<string, unknown> | undefined;
      if (!t || typeof t['action'] !== 'string') return 'fault.trigger.action (string) is required';
      if (t['node'] !== undefined && (typeof t['node'] !== 'string' || !nodeIds.has(t['node']))) return 'fault.trigger.node must be a node id';
      return num('delayMs', 0);
    }
    case 'repair-failures':
      return num('count', 1) ?? num('probability', 0, 1);
    case 'never-return':
      if (f['mode'] !== undefined && f['mode'] !== 'crash' && f['mode'] !== 'stuck') return "fault.mode must be 'crash' or 'stuck'";
      return undefined;
    default:
      return undefined;
  }
}
