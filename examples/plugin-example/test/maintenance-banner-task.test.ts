import { afterEach, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '@scylla-cp/testing';
import { plugin } from '../src/index.js';

let t: TestCluster;
afterEach(() => t?.stop());

describe('!maintenance-banner (node task)', () => {
  it('writes the banner, and a second run changes nothing', async () => {
    t = await startTestCluster({ plugins: [plugin] });
    const node = t.nodeIds[0]!;
    const first = await t.runTask('maintenance-banner', { text: 'rolling restart by scylla-cp' }, { nodes: [node] });
    expect(first.outcome.state).toBe('succeeded');
    expect(first.steps.find((s) => s.nodeId === node)?.result).toEqual({ changed: true });
    expect((await t.shell(node).run(['cat', '/etc/motd'])).stdout).toBe('rolling restart by scylla-cp\n');

    const second = await t.runTask('maintenance-banner', { text: 'rolling restart by scylla-cp' }, { nodes: [node] });
    expect(second.steps.find((s) => s.nodeId === node)?.result).toEqual({ changed: false });
    // only the targeted node got the banner
    const other = await t.shell(t.nodeIds[1]!).run(['cat', '/etc/motd']);
    expect(other.stdout).not.toContain('rolling restart');
  });

  it('rejects bad parameters with the workflow error, before anything runs', async () => {
    t = await startTestCluster({ plugins: [plugin] });
    await expect(t.runTask('maintenance-banner', { text: 'x', path: 'relative/path' })).rejects.toThrow(/path/);
    expect(t.oplog({ actor: 'shell' })).toEqual([]);
  });
});
