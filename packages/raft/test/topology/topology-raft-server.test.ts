import { describe, expect, it } from 'vitest';
import { RaftPrng, type CoordinatorEvent } from '../../src/index.js';
import { SimNetwork, RaftVirtualClock, RaftTopologyCluster } from '../../src/rafttest/index.js';

const founders = ['n1', 'n2', 'n3'].map((id, i) => ({ id, address: `10.0.0.${i + 1}`, dc: 'dc1', rack: 'r1' }));
const spec = (id: string) => ({ id, address: `10.0.1.${id.slice(1)}`, dc: 'dc1', rack: 'r1' });

function make(seed: number, onCoordinatorEvent?: (id: string, e: CoordinatorEvent) => void): { c: RaftTopologyCluster; net: SimNetwork } {
  const clock = new RaftVirtualClock();
  const net = new SimNetwork(clock, new RaftPrng(seed));
  const c = new RaftTopologyCluster({
    nodes: founders,
    clock,
    seed,
    transport: (id) => net.endpoint(id),
    reachable: (a, b) => net.connected(a, b),
    ...(onCoordinatorEvent ? { onCoordinatorEvent } : {}),
  });
  return { c, net };
}

describe('topology over the real RaftServer (SimNetwork, virtual time)', () => {
  it('elects a leader, fences in, joins and decommissions nodes', async () => {
    const { c } = make(3);
    expect(await c.runUntil(() => c.leaderId !== undefined && c.state().coordinatorTerm > 0, 5000)).toBe(true);
    const join = await c.drive(c.request({ kind: 'join', node: spec('n4') }), 20_000);
    expect(join.status).toBe('done');
    await c.runFor(200);
    expect(c.node('n4').stateMachine.state.nodes.n4?.state).toBe('normal');
    const leader = c.leaderId!;
    expect(c.node(leader).server.status().conf.voters).toContain('n4');
    const victim = leader === 'n2' ? 'n3' : 'n2';
    const leave = await c.drive(c.request({ kind: 'leave', nodeId: victim }), 20_000);
    expect(leave.status).toBe('done');
    expect(c.state().nodes[victim]).toMatchObject({ state: 'left', tokens: [] });
    expect(c.node(c.leaderId!).server.status().conf.voters).not.toContain(victim);
    await c.stop();
  });

  it('a new leader resumes a decommission where the killed leader stopped', async () => {
    let killed: string | undefined;
    let c!: RaftTopologyCluster;
    const made = make(5, (id, e) => {
      if (e.type === 'step' && e.result.ok && e.step.kind === 'streamed' && !killed) {
        killed = id;
        c.kill(id);
        c.clock.setTimeout(() => c.restart(id), 50);
      }
    });
    c = made.c;
    expect(await c.runUntil(() => c.leaderId !== undefined && c.state().coordinatorTerm > 0, 5000)).toBe(true);
    const firstTerm = c.state().coordinatorTerm;
    const victim = c.leaderId === 'n3' ? 'n2' : 'n3';
    const submitVia = ['n1', 'n2', 'n3'].find((id) => id !== victim && id !== c.leaderId)!;
    const r = await c.drive(c.submit({ kind: 'leave', nodeId: victim }, submitVia), 5000);
    expect(await c.runUntil(() => c.isAlive(submitVia) && c.state(submitVia).requests[r.id]?.status === 'done', 30_000)).toBe(true);
    expect(killed).toBeDefined();
    expect(c.state(submitVia).coordinatorTerm).toBeGreaterThan(firstTerm);
    expect(c.state(submitVia).nodes[victim]?.state).toBe('left');
    await c.stop();
  });

  it('rolls back a join whose node is partitioned away mid-saga', async () => {
    const { c, net } = make(9);
    expect(await c.runUntil(() => c.leaderId !== undefined && c.state().coordinatorTerm > 0, 5000)).toBe(true);
    const p = c.request({ kind: 'join', node: spec('n4') });
    expect(await c.runUntil(() => c.state().tstate === 'write_both_read_old', 10_000)).toBe(true);
    net.partition(['n4'], ['n1', 'n2', 'n3']);
    c.networkChanged();
    const out = await c.drive(p, 30_000);
    expect(out.status).toBe('failed');
    expect(out.reason).toMatch(/^Rolled back/);
    expect(c.state().nodes.n4?.state).toBe('left');
    await c.stop();
  });
});
