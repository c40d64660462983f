import { afterEach, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '@scylla-cp/testing';
import { plugin } from '../src/index.js';

let t: TestCluster;
afterEach(() => t?.stop());

describe('!snapshot-everywhere (cluster task)', () => {
  it('snapshots every node once; a rerun skips the nodes that hold the tag', async () => {
    t = await startTestCluster({ plugins: [plugin] });
    const run = await t.runTask('snapshot-everywhere', { tag: 'before-upgrade' });
    expect(run.outcome.state).toBe('succeeded');
    expect(run.steps[0]?.result).toEqual({ taken: t.nodeIds, alreadyThere: [] });
    expect(t.oplog({ actions: ['snapshot'] }).map((e) => e.node)).toEqual(t.nodeIds);

    const again = await t.runTask('snapshot-everywhere', { tag: 'before-upgrade' });
    expect(again.steps[0]?.result).toEqual({ taken: [], alreadyThere: t.nodeIds });
    expect(t.oplog({ actions: ['snapshot'] })).toHaveLength(t.nodeIds.length);
  });

  it('retries through a burst of 503s from one node (a fault injected in the simulator)', async () => {
    t = await startTestCluster({ plugins: [plugin] });
    const node = t.nodeIds[1]!;
    t.injectFault({ kind: 'api-errors', node, status: 503, count: 1, method: 'POST', pathPrefix: '/storage_service/snapshots' });
    const run = await t.runTask('snapshot-everywhere', { tag: 'nightly' }, { retries: 2 });
    expect(run.outcome.state).toBe('succeeded');
    expect(run.steps[0]?.attempts).toBe(2);
    expect(t.oplog({ actions: ['snapshot'] }).map((e) => e.node)).toEqual(t.nodeIds);
  });
});
