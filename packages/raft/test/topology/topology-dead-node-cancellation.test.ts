import { describe, expect, it } from 'vitest';
import { cancellationsForDeadNodes, TopologyStateMachine } from '../../src/index.js';
import { founders, newNode, oneReplica } from './one-replica-topology.js';

describe('requests that need a dead node are cancelled with a reason', () => {
  it('cancellationsForDeadNodes: pending requests whose own node is down; a remove (its target is dead by definition) and running requests are not', () => {
    const m = new TopologyStateMachine({ initialNodes: founders });
    m.apply({ type: 'submit', request: { kind: 'leave', nodeId: 'n2' }, requestId: 'leave' });
    m.apply({ type: 'submit', request: { kind: 'join', node: newNode('n5') }, requestId: 'join' });
    m.apply({ type: 'submit', request: { kind: 'remove', nodeId: 'n3' }, requestId: 'remove', liveness: { n3: false } });
    const dead = new Set(['n2', 'n3', 'n5']);
    const c = cancellationsForDeadNodes(m.state, (id) => !dead.has(id));
    expect(c.map((x) => x.requestId)).toEqual(['leave', 'join']);
    expect(c[0]).toMatchObject({ code: 'node_down', reason: expect.stringMatching(/^cancelled: leave of n2 needs node n2, which the failure detector reports down/) });
  });

  // Misbehaviour: a queued joiner dies while another join runs. It used to stay pending until the
  // running join ended (and was rejected only when it reached the head of the queue); now it is
  // cancelled between the running join's steps, with the reason on its record, and the running
  // join still completes.
  it("a dead node's request is cancelled while another proceeds", async () => {
    let releaseStream!: () => void;
    const { clock, coordinator, client, drive, fd, sm } = oneReplica({
      stream: (c) => (c.nodeId === 'n4' ? new Promise<void>((r) => (releaseStream = r)) : Promise.resolve()),
    });
    coordinator.start();
    const j4 = await client.submit({ kind: 'join', node: newNode('n4') });
    const j5 = await client.submit({ kind: 'join', node: newNode('n5') });
    const order: string[] = [];
    sm.onApply((_c, _r, s) => {
      for (const id of [j4.id, j5.id]) {
        const st = s.requests[id]?.status;
        if (st && order[order.length - 1] !== `${id}:${st}` && !order.includes(`${id}:${st}`)) order.push(`${id}:${st}`);
      }
    });
    await drive(new Promise<void>((r) => void clock.setTimeout(() => r(), 100)));
    expect(sm.state.tstate).toBe('write_both_read_old'); // n4 streams
    fd.markDead('n5');
    releaseStream();
    const out5 = await drive(client.waitForOutcome(j5.id));
    expect(out5).toMatchObject({ status: 'rejected', code: 'node_down' });
    expect(out5.reason).toMatch(/^cancelled: join of n5 needs node n5, which the failure detector reports down/);
    expect(await drive(client.waitForOutcome(j4.id))).toMatchObject({ status: 'done' });
    // cancelled while n4's join was still running (before: only after n4's join ended)
    expect(order.indexOf(`${j5.id}:rejected`)).toBeGreaterThan(-1);
    expect(order.indexOf(`${j5.id}:rejected`)).toBeLessThan(order.indexOf(`${j4.id}:done`));
    expect(sm.state.nodes.n5?.state).toBe('left');
    expect((await client.getRequest(j5.id))?.startedAt).toBeNull();
    await coordinator.stop();
  });

  it('a removenode of a dead node is not cancelled: it proceeds', async () => {
    const { coordinator, client, drive, fd, sm } = oneReplica();
    fd.markDead('n3');
    coordinator.start();
    expect(await drive(client.request({ kind: 'remove', nodeId: 'n3' }))).toMatchObject({ status: 'done' });
    expect(sm.state.nodes.n3?.state).toBe('left');
    await coordinator.stop();
  });
});
