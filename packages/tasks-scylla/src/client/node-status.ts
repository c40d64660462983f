/** Status letter of `nodetool status`: Up, Down, eXcluded, or `?` (in neither gossip list). */
export type NodeStatusLetter = 'U' | 'D' | 'X' | '?';
/** State letter of `nodetool status`: Normal, Joining, Leaving, Moving. */
export type NodeStateLetter = 'N' | 'J' | 'L' | 'M';

/** One row of the node-status view. */
export interface NodeStatusRow {
  /** The node's address (IP) as Scylla reports it. */
  address: string;
  /** Host id from `/storage_service/host_id`, when the node is in that map. */
  hostId: string | undefined;
  status: NodeStatusLetter;
  state: NodeStateLetter;
  /** `status + state`, e.g. `UN`, `DN`, `UJ`. */
  code: string;
}

/** What the view is built from: the replies of the endpoints nodetool status reads. */
export interface NodeStatusInputs {
  /** `/storage_service/host_id`: address → host id. */
  hostIds: ReadonlyArray<{ key: string; value: string }>;
  /** `/gossiper/endpoint/live/` */
  live: readonly string[];
  /** `/gossiper/endpoint/down/` */
  down: readonly string[];
  /** `/storage_service/nodes/joining` */
  joining: readonly string[];
  /** `/storage_service/nodes/leaving` */
  leaving: readonly string[];
  /** `/storage_service/nodes/moving` */
  moving: readonly string[];
  /** `/storage_service/nodes/excluded` (host ids, not addresses). */
  excluded: readonly string[];
}

/**
 * The cluster as `nodetool status` shows it, by nodetool's rules: status `X` if the host id is
 * excluded, else `U` if the address is live, else `D` if it is down, else `?`; state `J` if
 * joining, else `L` if leaving, else `M` if moving, else `N`. Rows cover every address in the
 * host-id map and in the gossip and joining/leaving/moving lists (so a joining node without a
 * host id still shows), sorted by address.
 */
export class NodeStatusView {
  /** Rows sorted by address. */
  readonly rows: readonly NodeStatusRow[];

  constructor(rows: readonly NodeStatusRow[]) {
    this.rows = rows;
  }

  /** Builds the view from endpoint replies (pure). */
  static from(inputs: NodeStatusInputs): NodeStatusView {
    const hostIdOf = new Map(inputs.hostIds.map((e) => [e.key, e.value]));
    const live = new Set(inputs.live);
    const down = new Set(inputs.down);
    const joining = new Set(inputs.joining);
    const leaving = new Set(inputs.leaving);
    const moving = new Set(inputs.moving);
    const excluded = new Set(inputs.excluded);
    const addresses = new Set<string>([...hostIdOf.keys(), ...live, ...down, ...joining, ...leaving, ...moving]);
    const rows = [...addresses].sort().map((address): NodeStatusRow => {
      const hostId = hostIdOf.get(address);
      const status: NodeStatusLetter =
        hostId !== undefined && excluded.has(hostId) ? 'X' : live.has(address) ? 'U' : down.has(address) ? 'D' : '?';
      const state: NodeStateLetter = joining.has(address) ? 'J' : leaving.has(address) ? 'L' : moving.has(address) ? 'M' : 'N';
      return { address, hostId, status, state, code: status + state };
    });
    return new NodeStatusView(rows);
  }

  /** The row of an address, if any. */
  get(address: string): NodeStatusRow | undefined {
    return this.rows.find((r) => r.address === address);
  }

  /** The row whose host id is `hostId`, if any. */
  byHostId(hostId: string): NodeStatusRow | undefined {
    return this.rows.find((r) => r.hostId === hostId);
  }

  /** Rows that are not `UN`. */
  notUpNormal(): NodeStatusRow[] {
    return this.rows.filter((r) => r.code !== 'UN');
  }

  /** `10.0.0.1=UN 10.0.0.2=DN ...`, for condition details. */
  toString(): string {
    return this.rows.map((r) => `${r.address}=${r.code}`).join(' ');
  }
}
