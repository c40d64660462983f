import type { ScyllaClientRoute } from '../client/scylla-client-routes.js';
import { decodeString, decodeVoid, type ScyllaDecoder } from '../client/decoders.js';

/**
 * `trigger_stepdown` is declared `string` but ScyllaDB answers it with an empty
 * body (`json_void`); accept both.
 */
const decodeOptionalString: ScyllaDecoder<string> = (body) => (body.trim() === '' ? '' : decodeString(body));

/**
 * The REST routes of the role-aware and clean-up tasks (issue 15), declared
 * like `SCYLLA_CLIENT_ROUTES` (exact path templates and response types of
 * ScyllaDB's API definitions; the route fidelity test checks them against the
 * manifest). Call them with `ScyllaApiClient.call(route, params)`.
 */
export const RAFT_TABLET_ROUTES = Object.freeze({
  /** `GET /raft/leader_host[?group_id=]`: the host id of the group's leader (default group0), a JSON string. */
  leaderHost: Object.freeze<ScyllaClientRoute<string>>({ method: 'GET', path: '/raft/leader_host', responseType: 'string', decode: decodeString }),
  /** `POST /raft/trigger_stepdown/[?group_id=&timeout=]`: the leader hands leadership over; an error on a follower. */
  triggerStepdown: Object.freeze<ScyllaClientRoute<string>>({ method: 'POST', path: '/raft/trigger_stepdown/', responseType: 'string', decode: decodeOptionalString }),
  /** `GET /storage_service/hostid/local`: this node's host id. */
  localHostId: Object.freeze<ScyllaClientRoute<string>>({ method: 'GET', path: '/storage_service/hostid/local', responseType: 'string', decode: decodeString }),
  /** `POST /storage_service/tablets/balancing?enabled=true|false`: turns tablet load balancing on or off (cluster-wide). */
  tabletBalancing: Object.freeze<ScyllaClientRoute<void>>({ method: 'POST', path: '/storage_service/tablets/balancing', responseType: 'void', decode: decodeVoid }),
});
