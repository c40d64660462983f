// Issue 12: a dead runner is shown as such and `resume --force` takes over at
// once when its pid is provably gone; a job's connection settings can be
// re-bound on resume/retry for the same nodes.
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { LeaseHeldError, describeRunner, parseLeaseHolder, rebindPlanInventory, type NodeExecutionContext } from '@scylla-cp/core';
import { harness, inventory, planOf, spec } from './engine-fixtures.js';

/** Above Linux's largest pid_max (2^22): no such process can exist. */
const DEAD_PID = 4_194_304 + 4_321;

describe('runner status', () => {
  const lease = (holder: string, expiresAt: number) => ({ jobId: 'j', holder, token: 1, expiresAt });

  it('parses host:pid:nonce holders (hosts may hold colons) and refuses other strings', () => {
    expect(parseLeaseHolder('db-1:1234:00ff00ff00ff00ff')).toEqual({ host: 'db-1', pid: 1234, nonce: '00ff00ff00ff00ff' });
    expect(parseLeaseHolder('fe80::1:99:ab')).toEqual({ host: 'fe80::1', pid: 99, nonce: 'ab' });
    expect(parseLeaseHolder('runner-a')).toBeUndefined();
  });

  it('tells live, expired, provably dead (same host, pid gone) and unknown-host runners apart', () => {
    const probe = { hostname: 'here', isAlive: (pid: number) => pid === 1 };
    expect(describeRunner(undefined, 0, probe).state).toBe('none');
    expect(describeRunner(lease('here:1:aa', 10_000), 5_000, probe)).toMatchObject({ state: 'live', pid: 1, remainingMs: 5_000 });
    expect(describeRunner(lease('here:2:aa', 10_000), 5_000, probe)).toMatchObject({ state: 'dead', host: 'here', pid: 2 });
    expect(describeRunner(lease('there:2:aa', 10_000), 5_000, probe)).toMatchObject({ state: 'live' });
    expect(describeRunner(lease('there:2:aa', 10_000), 5_000, probe).reason).toContain('not on this host');
    expect(describeRunner(lease('here:2:aa', 10_000), 12_000, probe)).toMatchObject({ state: 'expired', remainingMs: 0 });
  });

  it('resume waits for the lease of a live-looking runner (saying how long) but force takes over at once from a dead one', async () => {
    const h = harness({ w: async (c) => (c as NodeExecutionContext).clock.sleep(1_000) }, { holder: `${hostname()}:${DEAD_PID}:dead` });
    const job = await h.engine.start(planOf(inventory(1, 2), [spec('w')]), { operator: 'o', workflowText: '', jobId: 'd' });
    void job; // the "dead" runner never runs again: simulate by a fresh engine over the same store
    const other = harness({ w: async () => {} }, { store: h.store, clock: h.clock });
    const err = await other.engine.resume('d').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LeaseHeldError);
    expect((err as Error).message).toMatch(/\d+ s from now/);
    expect((err as Error).message).toContain(`runner pid ${DEAD_PID} on this host`);
    expect((err as Error).message).toContain('resume with force (--force) to take over now');
    expect(await other.engine.runnerStatus('d')).toMatchObject({ state: 'dead', pid: DEAD_PID });
    const taken = await other.engine.resume('d', { force: true });
    void taken.done;
    expect((await h.store.getLease!('d'))?.holder).toBe(other.engine.holder);
  });
});

describe('inventory re-binding', () => {
  it('rebindPlanInventory takes connection settings for the same nodes and refuses a changed node set or placement', () => {
    const inv = inventory(1, 2);
    const plan = planOf(inv, [spec('w')]);
    const fixed = { ...inv, connection: { ssh: { user: 'scylla' } }, nodes: inv.nodes.map((n, i) => (i === 1 ? { ...n, connection: { scylla_api: { port: 10001 } } } : n)) };
    const r = rebindPlanInventory(plan, fixed);
    expect(r.changedNodes).toEqual(['z0-n1']);
    expect(r.inventoryConnectionChanged).toBe(true);
    expect(r.plan.inventory.nodes[1]!.connection).toEqual({ scylla_api: { port: 10001 } });
    expect(r.plan.steps).toBe(plan.steps);
    expect(() => rebindPlanInventory(plan, { ...inv, nodes: inv.nodes.slice(1) })).toThrow(/nodes missing from the new inventory: z0-n0/);
    expect(() => rebindPlanInventory(plan, { ...inv, nodes: inv.nodes.map((n) => ({ ...n, rack: 'other' })) })).toThrow(/node z0-n0: rack/);
  });

  it('resume with an inventory re-binds the stored plan (recorded as an event) and tasks see the new settings', async () => {
    const seen: unknown[] = [];
    let fail = true;
    const h = harness({
      w: async (c) => {
        const ctx = c as NodeExecutionContext;
        seen.push(ctx.node.connection);
        if (fail) throw new Error('wrong port');
      },
    });
    const inv = inventory(1, 1);
    const job = await h.engine.start(planOf(inv, [spec('w')]), { operator: 'o', workflowText: '', jobId: 'rb' });
    expect((await h.clock.run(job.done)).state).toBe('failed');
    fail = false;
    const fixed = { ...inv, nodes: inv.nodes.map((n) => ({ ...n, connection: { scylla_api: { port: 10001 } } })) };
    await expect(h.engine.resume('rb', { retryFailed: true, inventory: { ...inv, nodes: [] } })).rejects.toMatchObject({ code: 'INVENTORY_MISMATCH' });
    const again = await h.engine.resume('rb', { retryFailed: true, inventory: fixed, operator: 'carol' });
    expect((await h.clock.run(again.done)).state).toBe('succeeded');
    expect(seen).toEqual([{}, { scylla_api: { port: 10001 } }]);
    expect((await h.store.getJob('rb')).plan.inventory.nodes[0]!.connection).toEqual({ scylla_api: { port: 10001 } });
    const ev = (await h.store.listEvents('rb')).find((e) => e.type === 'job.inventory-rebound');
    expect(ev?.data).toEqual({ by: 'carol', changedNodes: ['z0-n0'], inventoryConnectionChanged: false });
  });
});
