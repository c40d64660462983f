// Issue 12: a drained or cleanly stopped node announces its shutdown through
// gossip, so its peers mark it down at once (ScyllaDB's
// gossiper::do_stop_gossiping sends STATUS=shutdown,true); only a crash waits
// for the failure detector.
import { describe, expect, it } from 'vitest';
import { getJson, virtualCluster } from './helpers.js';

const timing = { drainMs: 1000, stopMs: 500, failureDetectionDelayMs: 20_000 };

describe('peers learn of a clean shutdown at once, of a crash after failure detection', () => {
  it('drain: peers list the node down as soon as its gossip stops', async () => {
    const { clock, cluster } = virtualCluster({ timing });
    const [a, b] = cluster.nodes;
    const drained = cluster.request(a!.id, 'POST', '/storage_service/drain');
    await clock.advance(310); // gossip stops 30% into the drain
    expect(await getJson(cluster, b!.id, '/gossiper/endpoint/live/')).not.toContain(a!.address);
    expect(await getJson(cluster, b!.id, '/gossiper/endpoint/down/')).toEqual([a!.address]);
    await clock.run(drained);
  });

  it('systemctl stop: peers list the node down at once', async () => {
    const { clock, cluster } = virtualCluster({ timing });
    const [a, b] = cluster.nodes;
    const stopped = cluster.systemctlStop(a!.id);
    await clock.advance(110); // transport and gossip stop 20% into the stop
    expect(await getJson(cluster, b!.id, '/gossiper/endpoint/down/')).toEqual([a!.address]);
    await clock.run(stopped);
    // and it stays down for its peers until it starts again
    expect(await getJson(cluster, b!.id, '/gossiper/endpoint/down/')).toEqual([a!.address]);
  });

  it('a crash keeps the failure-detection delay', async () => {
    const { clock, cluster } = virtualCluster({ timing });
    const [a, b] = cluster.nodes;
    cluster.kill(a!.id);
    await clock.advance(19_000);
    expect(await getJson(cluster, b!.id, '/gossiper/endpoint/live/')).toContain(a!.address);
    await clock.advance(1_500);
    expect(await getJson(cluster, b!.id, '/gossiper/endpoint/down/')).toEqual([a!.address]);
  });
});
