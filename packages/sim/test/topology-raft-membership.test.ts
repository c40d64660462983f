import { describe, expect, it } from 'vitest';
import { RaftSimTopology, SimShell } from '../src/index.js';
import { SEED, getJson, virtualCluster } from './helpers.js';

function raftCluster(options: Parameters<typeof virtualCluster>[0] = {}) {
  const r = virtualCluster(options);
  const topo = r.cluster.topology;
  if (!(topo instanceof RaftSimTopology)) throw new Error('expected a RaftSimTopology');
  return { ...r, topo };
}

describe(`Raft topology group membership in the simulated cluster (SEED=${SEED})`, () => {
  it('decommissioning three of six nodes (voters among them) and stopping them leaves a working group', async () => {
    const { clock, cluster, topo } = raftCluster();
    const victims = ['dc1-rack1-n1', 'dc1-rack2-n1', 'dc1-rack1-n2'];
    for (const id of victims) {
      const r = await clock.run(cluster.request(id, 'POST', '/storage_service/decommission'));
      expect(r.status, r.body).toBe(200);
      expect(topo.group.group.isVoter(id)).toBe(false);
    }
    for (const id of victims) await clock.run(new SimShell(cluster, id).run(['systemctl', 'stop', 'scylla-server']));
    await clock.advance(10_000);
    const voters = topo.group.group.voters;
    expect(voters.sort()).toEqual(['dc1-rack2-n2', 'dc1-rack3-n1', 'dc1-rack3-n2']);
    expect(topo.group.leaderId).toBeDefined();
    const r = await clock.run(cluster.request('dc1-rack2-n2', 'POST', '/storage_service/rebuild'));
    expect(r.status, r.body).toBe(200);
  });

  it('replaces the three first-rack voters in turn; each replaced voter leaves the voters', async () => {
    const { clock, cluster, topo } = raftCluster();
    for (const id of ['dc1-rack1-n1', 'dc1-rack2-n1', 'dc1-rack3-n1']) {
      cluster.kill(id);
      await clock.advance(cluster.timing.failureDetectionDelayMs + 1000);
      const n = await clock.run(cluster.replaceNode(id));
      expect(n.mode).toBe('NORMAL');
      expect(topo.group.group.isVoter(id)).toBe(false);
      expect(topo.group.leaderId).toBeDefined();
    }
    // back to five voters, all of them alive
    expect(topo.group.group.voters).toHaveLength(5);
    for (const v of topo.group.group.voters) expect(cluster.node(v).process).toBeTruthy();
  });

  it('removenode of a dead voter takes it out of the voters and promotes the non-voter', async () => {
    const { clock, cluster, topo } = raftCluster();
    const victim = 'dc1-rack1-n1';
    expect(topo.group.group.isVoter(victim)).toBe(true);
    expect(topo.group.group.isVoter('dc1-rack3-n2')).toBe(false);
    cluster.kill(victim);
    await clock.advance(cluster.timing.failureDetectionDelayMs + 1000);
    const r = await clock.run(cluster.request('dc1-rack2-n2', 'POST', `/storage_service/remove_node?host_id=${cluster.node(victim).hostId}`));
    expect(r.status, r.body).toBe(200);
    expect(topo.group.group.isVoter(victim)).toBe(false);
    expect(topo.group.group.isVoter('dc1-rack3-n2')).toBe(true);
    expect(topo.group.group.voters).toHaveLength(5);
  });

  it('a decommission running beside a long rebuild returns when it ends, not when the rebuild does', async () => {
    const { clock, cluster, topo } = raftCluster({ timing: { rebuildMs: 60_000, decommissionMs: 3000 } });
    const t0 = clock.now();
    let decomAt: number | undefined;
    let modeAtReturn: string | undefined;
    const dec = cluster.request('dc1-rack3-n2', 'POST', '/storage_service/decommission').then((r) => {
      decomAt = clock.now() - t0;
      modeAtReturn = cluster.node('dc1-rack3-n2').mode;
      return r;
    });
    const reb = (async () => {
      await clock.sleep(100);
      const r = await cluster.request('dc1-rack1-n2', 'POST', '/storage_service/rebuild');
      return { r, at: clock.now() - t0 };
    })();
    const [d, b] = await clock.run(Promise.all([dec, reb]));
    expect(d.status, d.body).toBe(200);
    expect(b.r.status, b.r.body).toBe(200);
    // the decommission streams 3 s (twice at most: the rebuild's admission can make it stream again)
    expect(decomAt).toBeGreaterThanOrEqual(3000);
    expect(decomAt).toBeLessThanOrEqual(6000 + 100);
    expect(modeAtReturn).toBe('DECOMMISSIONED');
    expect(b.at).toBeGreaterThanOrEqual(decomAt! + 60_000);
    expect(topo.state('dc1-rack3-n2')).toBe('left');
  });

  it('a decommission stalled by a lost quorum lets simulated time pass and ends once the voters are back', async () => {
    const { clock, cluster, topo } = raftCluster();
    const voters = ['dc1-rack1-n1', 'dc1-rack2-n1', 'dc1-rack3-n1'];
    const t0 = clock.now();
    const dec = cluster.request('dc1-rack3-n2', 'POST', '/storage_service/decommission').then((r) => ({ r, at: clock.now() - t0 }));
    const chaos = (async () => {
      await clock.sleep(1000);
      for (const id of voters) cluster.kill(id);
      await clock.sleep(5000);
      for (const id of voters) await new SimShell(cluster, id).run(['systemctl', 'start', 'scylla-server']);
    })();
    const [{ r, at }] = await clock.run(Promise.all([dec, chaos]), { maxVirtualMs: 3_600_000 });
    // the call waited (in simulated time) for the voters' restart; a coordinator of the new term
    // resumed the saga from the replicated state (streaming again) and finished it
    expect(at).toBeGreaterThanOrEqual(6000 + cluster.timing.decommissionMs);
    expect(at).toBeLessThan(60_000);
    expect(r.status, r.body).toBe(200);
    expect(topo.hasUnfinishedWork).toBe(false);
    expect(topo.state('dc1-rack3-n2')).toBe('left');
    expect(topo.history.some((h) => h.nodeStates['dc1-rack3-n2'] === 'decommissioning')).toBe(true);
    await clock.advance(10_000);
    expect(await getJson(cluster, 'dc1-rack1-n2', '/storage_service/nodes/leaving')).toEqual([]);
    const again = await clock.run(cluster.request('dc1-rack2-n2', 'POST', '/storage_service/decommission'));
    expect(again.status, again.body).toBe(200);
    expect(topo.state('dc1-rack2-n2')).toBe('left');
  });

});
