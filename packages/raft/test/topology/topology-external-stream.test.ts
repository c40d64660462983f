import { describe, expect, it } from 'vitest';
import { type StreamRangesCommand } from '../../src/index.js';
import { settle, SimulatedTopologyCluster, type SimulatedTopologyClusterOptions } from '../../src/rafttest/index.js';

const founders = ['n1', 'n2', 'n3', 'n4', 'n5'].map((id, i) => ({ id, address: `10.0.0.${i + 1}`, dc: 'dc1', rack: 'r1' }));

/** A stream hook whose calls the test settles by hand. */
function manualStreams() {
  const calls: { cmd: StreamRangesCommand; nodeId: string; signal: AbortSignal; at: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  let clock: SimulatedTopologyCluster['clock'] | undefined;
  const stream: NonNullable<SimulatedTopologyClusterOptions['stream']> = (cmd, nodeId, signal) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ cmd, nodeId, signal, at: clock!.now(), resolve, reject });
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
  return { calls, stream, bind: (c: SimulatedTopologyCluster) => (clock = c.clock) };
}

async function cluster(options: Partial<SimulatedTopologyClusterOptions>): Promise<SimulatedTopologyCluster> {
  const c = new SimulatedTopologyCluster({ nodes: founders, seed: 11, staleCommitProbability: 0, ...options });
  expect(await c.runUntil(() => c.leaderId !== undefined && c.state().coordinatorTerm > 0, 2000)).toBe(true);
  return c;
}

/** Lets a driver running in the background take many steps. */
async function spin(until: () => boolean, hops = 2000): Promise<void> {
  for (let i = 0; i < hops && !until(); i++) await settle();
}

describe('SimulatedTopologyCluster with an external stream hook', () => {
  it('holds the group clock while a stream is pending: a stream timeout on the group clock does not fire', async () => {
    const m = manualStreams();
    const c = await cluster({ stream: m.stream, streamTimeoutMs: 100, externalGraceMs: 10 });
    m.bind(c);
    const out = c.drive(c.decommission('n3'), 60_000);
    await spin(() => m.calls.length > 0);
    expect(m.calls.map((x) => [x.cmd.kind, x.nodeId])).toEqual([['leave', 'n3']]);
    // the driver keeps running (hops), but the group's clock stays within the grace window
    await spin(() => false, 500);
    expect(c.pendingStreams).toBe(1);
    expect(c.clock.now()).toBeLessThanOrEqual(m.calls[0]!.at + 10);
    expect(c.state().nodes['n3']?.state).toBe('decommissioning');
    m.calls[0]!.resolve();
    const r = await out;
    expect(r.status).toBe('done');
    expect(c.state().nodes['n3']?.state).toBe('left');
    expect(c.pendingStreams).toBe(0);
    await c.stop();
  });

  it('a rejected stream rolls a decommission back to normal', async () => {
    const m = manualStreams();
    const c = await cluster({ stream: m.stream });
    m.bind(c);
    const out = c.drive(c.decommission('n2'), 60_000);
    await spin(() => m.calls.length > 0);
    m.calls[0]!.reject(new Error('disk full'));
    const r = await out;
    expect(r.status).toBe('failed');
    expect(r.reason).toMatch(/^Rolled back: streaming failed: .*disk full/);
    expect(c.state().nodes['n2']?.state).toBe('normal');
    await c.stop();
  });

  it('killing the streaming node aborts its stream signal; the operation is rolled back', async () => {
    const m = manualStreams();
    const c = await cluster({ stream: m.stream });
    m.bind(c);
    const out = c.drive(c.decommission('n4'), 60_000);
    await spin(() => m.calls.length > 0);
    const call = m.calls[0]!;
    expect(call.signal.aborted).toBe(false);
    c.kill('n4');
    expect(call.signal.aborted).toBe(true);
    const r = await out;
    expect(r.status).toBe('failed');
    expect(c.state().nodes['n4']?.state).toBe('normal');
    expect(c.pendingStreams).toBe(0);
    await c.stop();
  });

  it('removenode: the streams of every normal node are all pending at once, so they overlap', async () => {
    const m = manualStreams();
    const c = await cluster({ stream: m.stream });
    m.bind(c);
    c.kill('n5');
    await c.runFor(20);
    const out = c.drive(c.removenode('n5'), 60_000);
    await spin(() => m.calls.length === 4);
    await spin(() => false, 300);
    expect(m.calls.map((x) => x.nodeId).sort()).toEqual(['n1', 'n2', 'n3', 'n4']);
    expect(c.pendingStreams).toBe(4);
    for (const x of m.calls) x.resolve();
    expect((await out).status).toBe('done');
    expect(c.state().nodes['n5']?.state).toBe('left');
    await c.stop();
  });

  it('without a hook, streaming is still a fixed delay on the group clock', async () => {
    const c = await cluster({ streamDelayMs: 300 });
    const t0 = c.clock.now();
    expect((await c.drive(c.decommission('n3'), 60_000)).status).toBe('done');
    expect(c.clock.now() - t0).toBeGreaterThanOrEqual(300);
    await c.stop();
  });
});

describe('SimulatedTopologyCluster with fewer voters than nodes', () => {
  it('only voters lead; non-voters are replicas without a coordinator; killing non-voters keeps the quorum', async () => {
    const c = await cluster({ voters: ['n1', 'n2', 'n3'] });
    expect(['n1', 'n2', 'n3']).toContain(c.leaderId);
    expect(c.node('n4').coordinator).toBeUndefined();
    expect(c.node('n5').coordinator).toBeUndefined();
    expect(c.node('n1').coordinator).toBeDefined();
    c.kill('n4');
    c.kill('n5');
    await c.runFor(20);
    const r = await c.drive(c.removenode('n5'), 60_000);
    expect(r.status).toBe('rejected'); // n4 is down too: removenode refuses while another node is dead
    expect(c.leaderId).toBeDefined();
    c.restart('n4');
    await c.runFor(20);
    expect((await c.drive(c.removenode('n5'), 60_000)).status).toBe('done');
    await c.runFor(20); // the non-voting replica catches up on the next heartbeat
    expect(c.state('n4').nodes['n5']?.state).toBe('left');
    await c.stop();
  });

  it('rejects voters that are not founding nodes', () => {
    expect(() => new SimulatedTopologyCluster({ nodes: founders, voters: ['n9'] })).toThrow(/voter n9 is not a founding node/);
    expect(() => new SimulatedTopologyCluster({ nodes: founders, voters: [] })).toThrow(/at least one voter/);
  });
});
