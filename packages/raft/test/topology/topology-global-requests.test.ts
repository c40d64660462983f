import { describe, expect, it } from 'vitest';
import { TopologyStateMachine, type SagaStep, type TopologyCommandResult } from '../../src/index.js';
import { founders, newNode, oneReplica } from './one-replica-topology.js';

const step = (m: TopologyStateMachine, s: SagaStep): TopologyCommandResult => m.apply({ type: 'step', guard: { stateId: m.state.stateId, term: 1 }, step: s, at: 77 });

/** Runs a join of `id` to completion on the bare state machine. */
function join(m: TopologyStateMachine, id: string): void {
  const r = m.apply({ type: 'submit', request: { kind: 'join', node: newNode(id) } });
  const rid = (r as { request: { id: string } }).request.id;
  for (const s of [{ kind: 'start' }, { kind: 'accept_node' }, { kind: 'commit_cdc' }, { kind: 'streamed' }, { kind: 'finish_write_both' }] as const) {
    expect(step(m, { ...s, requestId: rid } as SagaStep).ok).toBe(true);
  }
}

describe('global requests in the state machine', () => {
  it('cleanup cleans the nodes that lost ranges: running while it runs, clean after', () => {
    const m = new TopologyStateMachine({ initialNodes: founders });
    join(m, 'n4');
    expect(Object.values(m.state.nodes).map((n) => [n.id, n.cleanup])).toEqual([
      ['n1', 'needed'],
      ['n2', 'needed'],
      ['n3', 'needed'],
      ['n4', 'clean'],
    ]);
    expect(m.apply({ type: 'submit_global', kind: 'cleanup', requestId: 'c1', initiator: 'op', at: 5 })).toMatchObject({ ok: true, globalRequest: { id: 'c1', status: 'pending', createdAt: 5 } });
    // a second cleanup while one is open is refused
    expect(m.apply({ type: 'submit_global', kind: 'cleanup', requestId: 'c2' })).toMatchObject({ ok: false, rejection: 'duplicate_request' });
    expect(step(m, { kind: 'start_global', requestId: 'c1' }).ok).toBe(true);
    expect(m.state.globalRequest).toBe('c1');
    expect(m.state.globalRequests.c1).toMatchObject({ status: 'running', nodes: ['n1', 'n2', 'n3'], startedAt: 77 });
    expect(m.state.nodes.n1?.cleanup).toBe('running');
    // no node operation starts while the cleanup runs
    const leave = m.apply({ type: 'submit', request: { kind: 'leave', nodeId: 'n2' } }) as { request: { id: string } };
    expect(step(m, { kind: 'start', requestId: leave.request.id })).toMatchObject({ ok: false, code: 'illegal_step', reason: expect.stringMatching(/global request c1/) });
    // n2's cleanup failed: it needs one again
    expect(step(m, { kind: 'finish_global', requestId: 'c1', cleaned: ['n1', 'n3'], error: 'cleanup failed on 1 node(s): n2: disk full' }).ok).toBe(true);
    expect(m.state.globalRequests.c1).toMatchObject({ status: 'failed', reason: expect.stringMatching(/n2: disk full/), endedAt: 77 });
    expect([m.state.nodes.n1?.cleanup, m.state.nodes.n2?.cleanup, m.state.nodes.n3?.cleanup]).toEqual(['clean', 'needed', 'clean']);
    expect(m.state.globalRequest).toBeNull();
  });

  it('noop ends done when started; a cleanup with nothing to clean too', () => {
    const m = new TopologyStateMachine({ initialNodes: founders });
    m.apply({ type: 'submit_global', kind: 'noop', requestId: 'g1' });
    m.apply({ type: 'submit_global', kind: 'cleanup', requestId: 'g2' });
    expect(step(m, { kind: 'start_global', requestId: 'g1' }).ok).toBe(true);
    expect(step(m, { kind: 'start_global', requestId: 'g2' }).ok).toBe(true);
    expect([m.state.globalRequests.g1?.status, m.state.globalRequests.g2?.status]).toEqual(['done', 'done']);
    expect(m.state.globalRequests.g2?.nodes).toEqual([]);
  });

  it('refuses unknown kinds and ids already used by a node request', () => {
    const m = new TopologyStateMachine({ initialNodes: founders });
    expect(m.apply({ type: 'submit_global', kind: 'compact' as never })).toMatchObject({ ok: false, code: 'invalid_command', reason: expect.stringMatching(/cleanup or noop/) });
    m.apply({ type: 'submit', request: { kind: 'leave', nodeId: 'n2' }, requestId: 'x' });
    expect(m.apply({ type: 'submit_global', kind: 'noop', requestId: 'x' })).toMatchObject({ ok: false, reason: expect.stringMatching(/already used by a node request/) });
  });
});

describe('global requests through the coordinator', () => {
  it('after a join, cleanup runs on exactly the nodes that lost ranges and marks them clean', async () => {
    const cleaned: string[] = [];
    const { clock, coordinator, client, drive, sm } = oneReplica({
      cleanup: (_c, id) => new Promise((r) => void clock.setTimeout(() => (cleaned.push(id), r()), 20)),
    });
    coordinator.start();
    expect(await drive(client.request({ kind: 'join', node: newNode('n4') }))).toMatchObject({ status: 'done' });
    const out = await drive(client.requestGlobal('cleanup', { initiator: 'ops' }));
    expect(out).toMatchObject({ status: 'done' });
    expect(cleaned.sort()).toEqual(['n1', 'n2', 'n3']);
    expect(Object.values(sm.state.nodes).every((n) => n.cleanup === 'clean')).toBe(true);
    const [info] = await client.listRequests({ types: ['cleanup'] });
    expect(info).toMatchObject({ global: true, status: 'done', otherNodes: ['n1', 'n2', 'n3'], initiator: 'ops', target: null });
    expect(info!.endedAt! - info!.startedAt!).toBeGreaterThanOrEqual(20);
    // noop: passes through the coordinator
    expect(await drive(client.requestGlobal('noop'))).toMatchObject({ status: 'done' });
    await coordinator.stop();
  });

  it('node requests go first; a failed node cleanup fails the request with the reason and leaves that node needing cleanup', async () => {
    const order: string[] = [];
    const { clock, coordinator, client, drive, sm } = oneReplica({
      cleanup: async (_c, id) => {
        order.push(`cleanup:${id}`);
        if (id === 'n2') throw new Error('disk full');
      },
      stream: (c) => new Promise((r) => void clock.setTimeout(() => (order.push(`stream:${c.requestId}`), r()), 10)),
    });
    const join = await client.submit({ kind: 'join', node: newNode('n4') });
    const g = await client.submitGlobal('cleanup');
    const rebuild = await client.submit({ kind: 'rebuild', nodeId: 'n3' });
    coordinator.start();
    const out = await drive(client.waitForOutcome(g.id));
    expect(out.status).toBe('failed');
    expect(out.reason).toMatch(/cleanup failed on 1 node\(s\): n2: .*disk full/);
    // the join and the rebuild (node requests, submitted around the cleanup) ran before it
    expect(order.indexOf(`stream:${join.id}`)).toBeGreaterThanOrEqual(0);
    expect(order.indexOf(`stream:${rebuild.id}`)).toBeGreaterThan(order.indexOf(`stream:${join.id}`));
    expect(order.indexOf('cleanup:n1')).toBeGreaterThan(order.indexOf(`stream:${rebuild.id}`));
    expect([sm.state.nodes.n1?.cleanup, sm.state.nodes.n2?.cleanup]).toEqual(['clean', 'needed']);
    await coordinator.stop();
  });

  it('a cleanup that needs a node the failure detector reports dead is cancelled with the reason', async () => {
    const { coordinator, client, drive, fd } = oneReplica();
    coordinator.start();
    await drive(client.request({ kind: 'join', node: newNode('n4') }));
    fd.markDead('n2');
    const out = await drive(client.requestGlobal('cleanup'));
    expect(out).toMatchObject({ status: 'rejected', code: 'node_down' });
    expect(out.reason).toMatch(/^cancelled: cleanup needs node\(s\) n2, which the failure detector reports down/);
    await coordinator.stop();
  });

  it('a leader change while a cleanup runs: the next coordinator resumes it from the replicated state', async () => {
    const calls: string[] = [];
    const { clock, coordinator, client, drive, sm, log } = oneReplica({
      cleanup: (c, id) => new Promise((r) => void clock.setTimeout(() => (calls.push(`${id}@${c.term}`), r()), 100)),
    });
    coordinator.start();
    await drive(client.request({ kind: 'join', node: newNode('n4') }));
    const g = await client.submitGlobal('cleanup');
    await drive(new Promise<void>((r) => void clock.setTimeout(() => r(), 50)));
    expect(sm.state.globalRequest).toBe(g.id);
    log.stepDown(); // the coordinator of term 1 stops mid-cleanup
    await drive(new Promise<void>((r) => void clock.setTimeout(() => r(), 200)));
    expect(sm.state.globalRequests[g.id]?.status).toBe('running');
    log.becomeLeader();
    expect(await drive(client.waitForOutcome(g.id))).toMatchObject({ status: 'done' });
    // term 2 ran the cleanup again on every marked node (cleanup is idempotent)
    expect(calls.filter((c) => c.endsWith('@2')).sort()).toEqual(['n1@2', 'n2@2', 'n3@2']);
    expect(Object.values(sm.state.nodes).every((n) => n.cleanup === 'clean')).toBe(true);
    await coordinator.stop();
  });
});

describe('mark_clean (ScyllaDB reset_cleanup_needed)', () => {
  it('marks a needed node clean, leaves a clean one unchanged, refuses while its cleanup runs and for unknown nodes', () => {
    const m = new TopologyStateMachine({ initialNodes: founders });
    join(m, 'n4');
    const id0 = m.state.stateId;
    expect(m.apply({ type: 'mark_clean', nodeId: 'n1' })).toMatchObject({ ok: true, changed: true });
    expect(m.state.nodes.n1?.cleanup).toBe('clean');
    expect(m.state.stateId).toBe(id0 + 1);
    expect(m.apply({ type: 'mark_clean', nodeId: 'n1' })).toMatchObject({ ok: true, changed: false });
    expect(m.apply({ type: 'mark_clean', nodeId: 'n9' })).toMatchObject({ ok: false, code: 'invalid_command' });
    m.apply({ type: 'submit_global', kind: 'cleanup', requestId: 'c1' });
    expect(step(m, { kind: 'start_global', requestId: 'c1' }).ok).toBe(true);
    expect(m.state.globalRequests.c1?.nodes).toEqual(['n2', 'n3']);
    expect(m.apply({ type: 'mark_clean', nodeId: 'n2' })).toMatchObject({ ok: false, code: 'illegal_step', reason: expect.stringMatching(/running \(global request c1\)/) });
    expect(m.state.nodes.n2?.cleanup).toBe('running');
  });
});
