import { describe, expect, it } from 'vitest';
import {
  RaftSystemClock as SystemClock,
  StaleTopologyError,
  TRANSITION_NODE_STATES,
  type CoordinatorEvent,
  type StepCommand,
  type TopologyState,
} from '../../src/index.js';
import { SimulatedTopologyCluster, type SimulatedTopologyClusterOptions } from '../../src/rafttest/index.js';

const founders = ['n1', 'n2', 'n3'].map((id, i) => ({ id, address: `10.0.0.${i + 1}`, dc: 'dc1', rack: 'r1' }));
const spec = (id: string) => ({ id, address: `10.0.1.${id.slice(1)}`, dc: 'dc1', rack: 'r1' });

async function cluster(options: Partial<SimulatedTopologyClusterOptions> = {}): Promise<SimulatedTopologyCluster> {
  const c = new SimulatedTopologyCluster({ nodes: founders, seed: 7, staleCommitProbability: 0, ...options });
  expect(await c.runUntil(() => c.leaderId !== undefined && c.state().coordinatorTerm > 0, 2000)).toBe(true);
  return c;
}

function transitionCount(s: TopologyState): number {
  return Object.values(s.nodes).filter((n) => TRANSITION_NODE_STATES.includes(n.state)).length;
}

describe('topology scenarios', () => {
  it('runs on the system clock too (as the simulated ScyllaDB cluster uses it)', async () => {
    const c = new SimulatedTopologyCluster({ nodes: founders, seed: 3, clock: new SystemClock(), staleCommitProbability: 0 });
    const out = await c.join(spec('n4'));
    expect(out.status).toBe('done');
    const s = await c.read();
    expect(s.nodes.n4).toMatchObject({ state: 'normal', address: '10.0.1.4', dc: 'dc1', rack: 'r1' });
    expect(s.nodes.n4?.tokens).toHaveLength(8);
    await c.stop();
  });

  it('two joins requested at once both complete, one after the other', async () => {
    const c = await cluster();
    let maxConcurrent = 0;
    c.node('n1').stateMachine.onApply((_c, _r, s) => (maxConcurrent = Math.max(maxConcurrent, transitionCount(s))));
    const finishedAt: Record<string, number> = {};
    c.node('n1').stateMachine.onApply((_c, _r, s) => {
      for (const id of ['n4', 'n5']) if (s.nodes[id]?.state === 'normal' && finishedAt[id] === undefined) finishedAt[id] = s.stateId;
    });
    const [a, b] = await c.drive(Promise.all([c.join(spec('n4')), c.request({ kind: 'join', node: spec('n5') }, 'n2')]), 10_000);
    expect(a.status).toBe('done');
    expect(b.status).toBe('done');
    expect(maxConcurrent).toBe(1);
    expect(finishedAt.n4).not.toBe(finishedAt.n5);
    const s = await c.drive(c.read());
    expect(s.nodes.n4?.state).toBe('normal');
    expect(s.nodes.n5?.state).toBe('normal');
    await c.stop();
  });

  it('remove and replace of the same node: the second is rejected', async () => {
    const c = await cluster();
    c.kill('n3');
    await c.runFor(20);
    const [remove, replace] = await c.drive(Promise.all([c.removenode('n3'), c.replace(spec('n9'), 'n3')]), 10_000);
    // The log linearizes the two: whichever is applied first wins, the other is rejected.
    const [won, lost] = remove.status === 'done' ? [remove, replace] : [replace, remove];
    expect(won.status).toBe('done');
    expect(lost).toMatchObject({ status: 'rejected', code: 'conflicting_request' });
    expect(lost.reason).toMatch(/already queued or running/);
    expect(c.state().nodes.n3?.state).toBe('left');
    expect(c.state().nodes.n9?.state).toBe(won === replace ? 'normal' : undefined);
    await c.stop();
  });

  it('rejects removing a live node and replacing across racks, with typed reasons', async () => {
    const c = await cluster();
    expect(await c.drive(c.removenode('n2'))).toMatchObject({ status: 'rejected', code: 'target_alive' });
    c.kill('n3');
    await c.runFor(20);
    expect(await c.drive(c.replace({ ...spec('n9'), rack: 'r9' }, 'n3'))).toMatchObject({ status: 'rejected', code: 'dc_rack_mismatch' });
    await c.stop();
  });

  it('replaces a dead node: the new node takes its tokens, the old one leaves', async () => {
    const c = await cluster();
    const tokens = c.state().nodes.n3!.tokens;
    c.kill('n3');
    await c.runFor(20);
    expect((await c.drive(c.replace(spec('n9'), 'n3'), 10_000)).status).toBe('done');
    const s = c.state();
    expect(s.nodes.n9).toMatchObject({ state: 'normal', tokens });
    expect(s.nodes.n3).toMatchObject({ state: 'left', tokens: [] });
    expect(s.ignoredNodes).toEqual([]);
    await c.stop();
  });

  it('a joiner killed mid-stream is rolled back automatically', async () => {
    const c = await cluster({ streamDelayMs: 500 });
    const p = c.join(spec('n4'));
    // Once the fence is raised in write_both_read_old, the coordinator streams (500 ms).
    expect(await c.runUntil(() => c.state().tstate === 'write_both_read_old' && c.state().fenceVersion === c.state().version, 5000)).toBe(true);
    await c.runFor(50); // inside the stream
    c.kill('n4');
    const out = await c.drive(p, 10_000);
    expect(out.status).toBe('failed');
    expect(out.reason).toMatch(/^Rolled back: .*n4/);
    const s = c.state();
    expect(s.nodes.n4).toMatchObject({ state: 'left', tokens: [] });
    expect(s.transition).toBeNull();
    expect(Object.values(s.nodes).filter((n) => n.state === 'normal').map((n) => n.id)).toEqual(['n1', 'n2', 'n3']);
    await c.stop();
  });

  it('a failed decommission returns to normal; a failed rebuild is recorded on the request', async () => {
    const c = await cluster({ streamFails: (cmd) => cmd.kind === 'leave' || cmd.kind === 'rebuild' });
    const leave = await c.drive(c.decommission('n2'), 10_000);
    expect(leave.status).toBe('failed');
    expect(leave.reason).toMatch(/^Rolled back: streaming failed/);
    expect(c.state().nodes.n2?.state).toBe('normal');
    const rebuild = await c.drive(c.rebuild('n1', 'dc1'), 10_000);
    expect(rebuild.status).toBe('failed');
    expect(c.state().nodes.n1?.state).toBe('normal');
    await c.stop();
  });

  it('starts requests in priority order: replace, join, remove, leave, rebuild', async () => {
    const c = await cluster({ streamDelayMs: 400, nodes: [...founders, { id: 'n4', address: '10.0.0.4', dc: 'dc1', rack: 'r1' }, { id: 'n5', address: '10.0.0.5', dc: 'dc1', rack: 'r1' }] });
    const started: string[] = [];
    c.node('n1').stateMachine.onApply((cmd, r) => {
      if (cmd.type === 'step' && cmd.step.kind === 'start' && r.ok) started.push(r.request!.kind);
    });
    // Hold the coordinator busy with a rebuild of n1 (streaming takes 400 ms), then queue the rest.
    const client = c.node('n1').client;
    c.addNode('n6');
    c.addNode('n7');
    const recs = [await c.drive(client.submit({ kind: 'rebuild', nodeId: 'n1' }))];
    c.kill('n4');
    await c.runFor(20);
    recs.push(await c.drive(client.submit({ kind: 'leave', nodeId: 'n2' })));
    recs.push(await c.drive(client.submit({ kind: 'remove', nodeId: 'n4' })));
    c.kill('n5');
    await c.runFor(20);
    recs.push(await c.drive(client.submit({ kind: 'join', node: spec('n6') })));
    recs.push(await c.drive(client.submit({ kind: 'replace', node: spec('n7'), replacedId: 'n5' })));
    expect(recs.map((r) => r.status)).toEqual(['pending', 'pending', 'pending', 'pending', 'pending']);
    const outs = await c.drive(Promise.all(recs.map((r) => client.waitForOutcome(r.id))), 20_000);
    expect(outs.map((o) => o.status)).toEqual(['done', 'done', 'done', 'done', 'done']);
    // The rebuild may have started before the others were queued; the rest follow priority.
    expect(started).toEqual(['rebuild', 'replace', 'join', 'remove', 'leave']);
    await c.stop();
  });

  for (const [killAfter, occurrence] of [
    ['start', 1],
    ['fence', 1],
    ['streamed', 1],
    ['fence', 2],
    ['finish_write_both', 1],
    ['fence', 3],
  ] as const) {
    it(`the leader killed after decommission step ${killAfter}#${occurrence}: the new leader finishes it`, async () => {
      let seen = 0;
      let killed: string | undefined;
      let killedTerm = 0;
      let finishedTerm = 0;
      let c!: SimulatedTopologyCluster;
      const onCoordinatorEvent = (id: string, e: CoordinatorEvent): void => {
        if (e.type === 'step' && e.result.ok && e.step.kind === 'finish_left') finishedTerm = e.term;
        if (e.type !== 'step' || !e.result.ok || !e.result.changed || e.step.kind !== killAfter || killed) return;
        killedTerm = e.term;
        if (++seen === occurrence) {
          // Kill the leader right after the step committed; it comes back as a follower.
          killed = id;
          c.kill(id);
          c.clock.setTimeout(() => c.restart(id), 30);
        }
      };
      c = await cluster({ onCoordinatorEvent });
      const victim = c.leaderId === 'n3' ? 'n2' : 'n3';
      const p = c.decommission(victim);
      const out = await c.drive(p, 20_000).catch(async () => {
        // The client may have talked through the killed leader: ask again through a live node.
        const live = ['n1', 'n2', 'n3'].find((id) => id !== killed && c.group.isAlive(id))!;
        const rid = Object.values(c.state(live).requests).find((r) => r.kind === 'leave')!.id;
        return c.drive(c.node(live).client.waitForOutcome(rid), 20_000);
      });
      expect(killed).toBeDefined();
      expect(out.status).toBe('done');
      // A coordinator of a later term (possibly on the restarted node) finished the saga.
      expect(finishedTerm).toBeGreaterThan(killedTerm);
      const s = c.state();
      expect(s.nodes[victim]).toMatchObject({ state: 'left', tokens: [] });
      expect(s.coordinatorTerm).toBeGreaterThan(1);
      expect(s.fenceVersion).toBeLessThanOrEqual(s.version);
      await c.stop();
    });
  }

  it('the leader killed while it waits for streaming: the new leader re-streams and finishes', async () => {
    const c = await cluster({ streamDelayMs: 300 });
    const p = c.join(spec('n4'));
    expect(await c.runUntil(() => c.state().tstate === 'write_both_read_old' && c.state().fenceVersion === c.state().version, 5000)).toBe(true);
    const old = c.leaderId!;
    await c.runFor(50);
    c.kill(old);
    c.clock.setTimeout(() => c.restart(old), 30);
    const live = ['n1', 'n2', 'n3'].find((id) => id !== old)!;
    await c.runUntil(() => c.leaderId !== undefined, 5000);
    const rid = Object.values(c.state(live).requests).find((r) => r.kind === 'join')!.id;
    const out = await c.drive(c.node(live).client.waitForOutcome(rid), 20_000);
    expect(out.status).toBe('done');
    expect(c.state().nodes.n4?.state).toBe('normal');
    void p.catch(() => {});
    await c.stop();
  });

  it("a stale coordinator's writes are fenced", async () => {
    const decided: { id: string; term: number; step: StepCommand['step'] }[] = [];
    const c = await cluster({
      streamDelayMs: 100,
      onCoordinatorEvent: (id, e) => {
        if (e.type === 'step' && e.result.ok) decided.push({ id, term: e.term, step: e.step });
      },
    });
    const p = c.decommission('n3');
    expect(await c.runUntil(() => c.state().tstate === 'write_both_read_old', 5000)).toBe(true);
    const old = c.leaderId!;
    const oldTerm = c.state().coordinatorTerm;
    c.kill(old);
    c.clock.setTimeout(() => c.restart(old), 30);
    expect(await c.runUntil(() => c.leaderId !== undefined && c.state().coordinatorTerm > oldTerm, 5000)).toBe(true);
    const via = c.leaderId!;
    // A step the old coordinator decided arrives late (a zombie write): even with the
    // current stateId, its term is fenced, and nothing changes.
    const before = c.state();
    const zombie = decided.find((d) => d.term === oldTerm && d.step.kind === 'start')!;
    expect(zombie).toBeDefined();
    const r = await c.drive(c.node(via).log.propose({ type: 'step', guard: { stateId: before.stateId, term: oldTerm }, step: { kind: 'streamed', requestId: zombie.step.requestId } }));
    expect(r).toMatchObject({ ok: false, code: 'stale_term' });
    expect(c.state().tstate).toBe(before.tstate);
    expect(c.state().version).toBe(before.version);
    // The old coordinator's commands to nodes are refused as well.
    await expect(c.drive(c.node(via).agent.barrier({ term: oldTerm, index: 1_000_000, coordinatorId: old }))).rejects.toThrow(/older than term/);
    const rid = zombie.step.requestId;
    expect((await c.drive(c.node(via).client.waitForOutcome(rid), 20_000)).status).toBe('done');
    void p.catch(() => {});
    await c.stop();
  });

  it('fences the data path: drains old-version requests, then rejects them', async () => {
    const c = await cluster({ streamDelayMs: 50 });
    const v0 = c.state().version;
    const replica = c.node('n2').fencing;
    let release!: () => void;
    const slow = replica.run(v0, () => new Promise<string>((r) => (release = () => r('ok'))));
    const p = c.decommission('n3');
    // The barrier cannot raise the fence while the old-version request is in flight
    // (within the drain timeout, 200 ms here).
    await c.runFor(120);
    expect(c.state().version).toBeGreaterThan(v0);
    expect(c.state().fenceVersion).toBe(v0);
    release();
    await expect(c.drive(slow)).resolves.toBe('ok');
    expect((await c.drive(p, 10_000)).status).toBe('done');
    expect(c.state().fenceVersion).toBeGreaterThan(v0);
    await expect(c.drive(replica.run(v0, () => 'late'))).rejects.toBeInstanceOf(StaleTopologyError);
    const fresh = c.state().version;
    await expect(c.drive(replica.run(fresh, () => 'fresh'))).resolves.toBe('fresh');
    await c.stop();
  });

  it('fences a request still in flight when a timed-out drain lets the fence rise', async () => {
    const c = await cluster({ streamDelayMs: 50 });
    const v0 = c.state().version;
    let release!: () => void;
    const stuck = c.node('n2').fencing.run(v0, () => new Promise<string>((r) => (release = () => r('ok'))));
    stuck.catch(() => {});
    const p = c.decommission('n3');
    expect(await c.runUntil(() => c.state().fenceVersion > v0, 5000)).toBe(true);
    release();
    await expect(c.drive(stuck)).rejects.toBeInstanceOf(StaleTopologyError);
    expect((await c.drive(p, 10_000)).status).toBe('done');
    await c.stop();
  });
});
