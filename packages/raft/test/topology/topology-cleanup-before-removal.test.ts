// Issue 16 item 4, ScyllaDB's coordinator rule: when the request to start next is a remove or
// leave and some node's cleanup is `needed`, a vnodes cleanup runs first.
import { describe, expect, it } from 'vitest';
import { cleanupBeforeId, cleanupBeforeRemoval } from '../../src/index.js';
import { newNode, oneReplica } from './one-replica-topology.js';

describe('cleanup before remove/leave', () => {
  it('a leave after a join first cleans every node that needs it (the coordinator submits the cleanup), then streams', async () => {
    const log: string[] = [];
    const { clock, coordinator, client, drive, sm } = oneReplica({
      cleanup: (_c, id) => new Promise((r) => void clock.setTimeout(() => (log.push(`cleanup ${id}`), r()), 20)),
      stream: (cmd, id) => new Promise((r) => void clock.setTimeout(() => (log.push(`stream ${cmd.kind} ${id}`), r()), 10)),
    });
    coordinator.start();
    expect(await drive(client.request({ kind: 'join', node: newNode('n4') }))).toMatchObject({ status: 'done' });
    log.length = 0;
    const leave = await drive(client.submit({ kind: 'leave', nodeId: 'n2' }));
    expect(await drive(client.waitForOutcome(leave.id))).toMatchObject({ status: 'done' });
    const cleanups = log.filter((l) => l.startsWith('cleanup')).sort();
    expect(cleanups).toEqual(['cleanup n1', 'cleanup n2', 'cleanup n3']);
    const lastCleanup = Math.max(...cleanups.map((c) => log.indexOf(c)));
    const firstStream = log.findIndex((l) => l.startsWith('stream'));
    expect(firstStream).toBeGreaterThan(lastCleanup);
    const own = sm.state.globalRequests[cleanupBeforeId(leave.id)];
    expect(own).toMatchObject({ kind: 'cleanup', status: 'done', nodes: ['n1', 'n2', 'n3'], initiator: 'coordinator n1' });
    // a leave only gives ranges to the others: nothing needs cleanup after it, and the next leave starts at once
    expect(['n1', 'n3', 'n4'].map((id) => sm.state.nodes[id]!.cleanup)).toEqual(['clean', 'clean', 'clean']);
    log.length = 0;
    expect(await drive(client.request({ kind: 'leave', nodeId: 'n4' }))).toMatchObject({ status: 'done' });
    expect(log.filter((l) => l.startsWith('cleanup'))).toEqual([]);
    await coordinator.stop();
  });

  it("an operator's pending cleanup is started instead of a second one", async () => {
    const cleaned: string[] = [];
    const { clock, coordinator, client, drive, sm } = oneReplica({ cleanup: (_c, id) => new Promise((r) => void clock.setTimeout(() => (cleaned.push(id), r()), 5)) });
    coordinator.start();
    expect(await drive(client.request({ kind: 'join', node: newNode('n4') }))).toMatchObject({ status: 'done' });
    await coordinator.stop();
    // queued while no coordinator runs: a leave (node requests go first) and an operator's cleanup
    const l2 = await client.submit({ kind: 'leave', nodeId: 'n2' });
    const ops = await client.submitGlobal('cleanup', { requestId: 'ops-cleanup' });
    coordinator.start();
    expect(await drive(client.waitForOutcome(l2.id))).toMatchObject({ status: 'done' });
    expect(sm.state.globalRequests[ops.id]).toMatchObject({ status: 'done', nodes: ['n1', 'n2', 'n3'] });
    expect(sm.state.globalRequests[ops.id]!.endedAt!).toBeLessThanOrEqual(sm.state.requests[l2.id]!.startedAt!);
    expect(sm.state.globalRequests[cleanupBeforeId(l2.id)]).toBeUndefined();
    expect(cleaned.sort()).toEqual(['n1', 'n2', 'n3']);
    await coordinator.stop();
  });

  it('a remove of a dead node cleans the live nodes first (the dead target is ignored); a dead node that needs cleanup means no cleanup is tried', async () => {
    const cleaned: string[] = [];
    const { clock, coordinator, client, drive, sm, fd } = oneReplica({ cleanup: (_c, id) => new Promise((r) => void clock.setTimeout(() => (cleaned.push(id), r()), 5)) });
    coordinator.start();
    expect(await drive(client.request({ kind: 'join', node: newNode('n4') }))).toMatchObject({ status: 'done' });
    await coordinator.stop();
    // the pure decision: a leave while n3 (needing cleanup) is dead starts without a cleanup
    const leave = await client.submit({ kind: 'leave', nodeId: 'n2' });
    expect(cleanupBeforeRemoval(sm.state, leave, (id) => id !== 'n3')).toBeUndefined();
    expect(cleanupBeforeRemoval(sm.state, leave, () => true)).toEqual({ action: 'submit', requestId: cleanupBeforeId(leave.id) });
    await client.abort(leave.id);
    fd.markDead('n3');
    coordinator.start();
    const out = await drive(client.request({ kind: 'remove', nodeId: 'n3' }));
    expect(out).toMatchObject({ status: 'done' });
    expect(cleaned.sort()).toEqual(['n1', 'n2']);
    expect(sm.state.nodes.n3?.state).toBe('left');
    await coordinator.stop();
  });
});
