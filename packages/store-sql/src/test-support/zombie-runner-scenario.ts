import { z } from 'zod';
import { Engine, PluginRegistry, VirtualClock, definePlugin, type JobPlan } from '@scylla-cp/core';
import type { DriverExpect, InspectableStore } from './kill-resume-driver.js';

const T0 = Date.UTC(2026, 0, 1);

function plan(): JobPlan {
  return {
    formatVersion: 1,
    workflowName: 'zombie',
    cluster: 'zombie-cluster',
    inventory: { name: 'zombie-cluster', nodes: [], connection: {} },
    targeting: {},
    variables: {},
    steps: ['s0', 's1', 's2', 's3'].map((id) => ({
      kind: 'cluster-task' as const,
      id,
      task: { tag: 'act', params: {}, retries: 0, retryBackoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 1 } },
    })),
  };
}

/** Assertions the scenario needs beyond {@link DriverExpect}. */
export interface ZombieExpect extends DriverExpect {
  (actual: unknown, message?: string): ReturnType<DriverExpect> & { toMatchObject(expected: object): void; toContain(item: unknown): void };
}

/**
 * A runner that stalls (a suspended laptop: its heartbeat stops) loses its
 * lease after the TTL; a new runner on another connection (`openStore` is
 * called twice) takes the job over and finishes it; when the zombie wakes up,
 * its writes are rejected by the fencing token and it stops without recording
 * anything. Asserts all of that with `expect`.
 */
export async function runZombieRunnerScenario(expect: ZombieExpect, openStore: () => Promise<InspectableStore>): Promise<void> {
  const executions: { runner: string; stepId: string }[] = [];
  let wakeZombie: () => void = () => {};
  let zombieStalled: () => void = () => {};
  const stalled = new Promise<void>((resolve) => (zombieStalled = resolve));
  const registry = (runner: string) =>
    new PluginRegistry().register(
      definePlugin({
        name: 'zombie-test',
        version: '1.0.0',
        clusterTasks: {
          act: {
            description: 'records its execution; the zombie stalls in s1',
            params: z.object({}).strict(),
            create: () => ({
              name: () => 'act',
              preconditions: () => [],
              execute: async (ctx) => {
                executions.push({ runner, stepId: ctx.stepId });
                if (runner === 'zombie' && ctx.stepId === 's1') {
                  zombieStalled();
                  await new Promise<void>((wake) => (wakeZombie = wake));
                }
              },
            }),
          },
        },
      }),
    );

  // The zombie: its clock stands still while it is stalled, so its heartbeat never renews the lease.
  const zombieStore = await openStore();
  const successorStore = await openStore();
  try {
    const zombie = new Engine({ store: zombieStore, registry: registry('zombie'), clock: new VirtualClock({ startMs: T0 }), holder: 'zombie', leaseTtlSeconds: 30, heartbeatSeconds: 10 });
    const zombieJob = await zombie.start(plan(), { operator: 'alice', workflowText: 'name: zombie\n', jobId: 'job-z' });
    await stalled;

    // A minute later, another runner (its own connection, as another process would have) resumes the job.
    const successor = new Engine({ store: successorStore, registry: registry('successor'), clock: new VirtualClock({ startMs: T0 + 60_000 }), holder: 'successor' });
    const successorJob = await successor.resume('job-z');
    expect((await successorStore.getJob('job-z')).fencingToken).toBe(2);
    expect(await successorJob.done).toMatchObject({ state: 'succeeded' });
    const eventsBefore = await successorStore.listEvents('job-z');
    const stepsBefore = await successorStore.getSteps('job-z');

    // The zombie wakes up: its step "finishes", and its commit is refused.
    wakeZombie();
    const zombieOutcome = await zombieJob.done;
    expect(zombieOutcome.state).toBe('interrupted');
    expect(zombieOutcome.error).toMatchObject({ name: 'StaleFencingTokenError' });
    expect(zombieOutcome.error?.message).toContain('another runner has taken this job over');

    // Nothing the zombie did after the takeover was recorded.
    expect(await successorStore.listEvents('job-z')).toEqual(eventsBefore);
    expect(await successorStore.getSteps('job-z')).toEqual(stepsBefore);
    expect(await successorStore.getJob('job-z')).toMatchObject({ state: 'succeeded', fencingToken: 2 });
    expect(eventsBefore.filter((e) => e.type === 'step.succeeded').map((e) => e.stepId)).toEqual(['s0', 's1', 's2', 's3']);
    // The zombie ran s0 and s1; the successor ran s1 again (it was running at the takeover) and the rest.
    expect(executions).toEqual([
      { runner: 'zombie', stepId: 's0' },
      { runner: 'zombie', stepId: 's1' },
      { runner: 'successor', stepId: 's1' },
      { runner: 'successor', stepId: 's2' },
      { runner: 'successor', stepId: 's3' },
    ]);
  } finally {
    await zombieStore.close();
    await successorStore.close();
  }
}
