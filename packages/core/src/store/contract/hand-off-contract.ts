import { ControlRequestedError, JobFinishedError, StaleFencingTokenError } from '../../errors/store-errors.js';
import { type Transition, type Lease } from '../job-store.js';
import type { ContractKit } from './contract-kit.js';

/** The `JobStore` contract, part: A step's success and the next step's start in one commit; the control rule of a start. @internal */
export function handOffContract(k: ContractKit): void {
  const { describe, it, expect, rejects, newJob, jobIn } = k;
  describe('step hand-off: a step\'s success and the next step\'s start in one commit', () => {
    /** What the engine commits when step t0 of node n1 succeeds and t1 starts at once. */
    const handOff = (at: number): Transition => ({
      at,
      steps: [
        { stepId: 's0/n1/t0', nodeId: 'n1', state: 'succeeded', attempts: 1, finishedAt: at, lastError: null },
        { stepId: 's0/n1/t1', nodeId: 'n1', state: 'running', attempts: 1, startedAt: at, lastError: null },
      ],
      events: [
        { type: 'step.succeeded', stepId: 's0/n1/t0', data: { attempt: 1 } },
        { type: 'step.started', stepId: 's0/n1/t1', data: { attempt: 1, nodeId: 'n1', task: 'noop' } },
      ],
    });
    const startT0 = (lease: Lease, at: number) =>
      k.store.commit(lease, {
        at,
        steps: [{ stepId: 's0/n1/t0', nodeId: 'n1', state: 'running', attempts: 1, startedAt: at, lastError: null }],
        events: [{ type: 'step.started', stepId: 's0/n1/t0', data: { attempt: 1 } }],
      });

    it('records both steps and both events, the success first, at the commit time', async () => {
      const lease = await jobIn('j', 'running');
      await startT0(lease, 5_000);
      await k.store.commit(lease, handOff(6_000));
      const steps = (await k.store.getSteps('j')).sort((a, b) => a.stepId.localeCompare(b.stepId));
      expect(steps).toEqual([
        { jobId: 'j', stepId: 's0/n1/t0', nodeId: 'n1', state: 'succeeded', attempts: 1, startedAt: 5_000, finishedAt: 6_000 },
        { jobId: 'j', stepId: 's0/n1/t1', nodeId: 'n1', state: 'running', attempts: 1, startedAt: 6_000 },
      ]);
      const events = (await k.store.listEvents('j')).slice(-2);
      expect(events.map((e) => [e.type, e.stepId, e.at])).toEqual([
        ['step.succeeded', 's0/n1/t0', 6_000],
        ['step.started', 's0/n1/t1', 6_000],
      ]);
      expect(events[1]!.seq).toBeGreaterThan(events[0]!.seq);
    });

    it('a zombie runner\'s hand-off is refused wholly (StaleFencingTokenError): neither the success nor the start is written', async () => {
      await k.store.createJob(newJob('j'));
      const zombie = await k.store.acquireLease('j', 'h1', 1_000, 10_000);
      await k.store.commit(zombie, { at: 10_000, job: { state: 'running' } });
      await startT0(zombie, 10_100);
      const fresh = await k.store.acquireLease('j', 'h2', 1_000, 20_000); // h1's lease expired
      const stepsBefore = await k.store.getSteps('j');
      const eventsBefore = await k.store.listEvents('j');
      const jobBefore = await k.store.getJob('j');

      const err = await rejects(k.store.commit(zombie, handOff(20_100)), StaleFencingTokenError);
      expect(err).toMatchObject({ jobId: 'j', presentedToken: 1, currentToken: 2 });
      expect(await k.store.getSteps('j')).toEqual(stepsBefore);
      expect(await k.store.listEvents('j')).toEqual(eventsBefore);
      expect(await k.store.getJob('j')).toEqual(jobBefore);
      if (k.store.getResumeRecords) expect((await k.store.getResumeRecords('j')).completedStepIds).toEqual([]);

      // The new holder, which runs t0 again, hands off under its own token.
      await k.store.commit(fresh, handOff(20_200));
      const states = Object.fromEntries((await k.store.getSteps('j')).map((s) => [s.stepId, s.state]));
      expect(states).toEqual({ 's0/n1/t0': 'succeeded', 's0/n1/t1': 'running' });
    });

    it('with commitChecksControl: a start marked unlessControlRequested is refused wholly while a request is pending (ControlRequestedError), applied once it is cleared', async () => {
      expect(k.store.commitChecksControl).toBe(true);
      const lease = await jobIn('j', 'running');
      await startT0(lease, 5_000);
      await k.store.requestControl('j', 'pause', 5_500);
      const stepsBefore = await k.store.getSteps('j');
      const eventsBefore = await k.store.listEvents('j');
      const err = await rejects(k.store.commit(lease, { ...handOff(6_000), unlessControlRequested: true }), ControlRequestedError);
      expect(err).toMatchObject({ jobId: 'j', request: 'pause' });
      expect(await k.store.getSteps('j')).toEqual(stepsBefore);
      expect(await k.store.listEvents('j')).toEqual(eventsBefore);
      // Without the mark (the success alone, as the engine then records it) the commit applies.
      await k.store.commit(lease, { at: 6_100, steps: [handOff(6_100).steps![0]!], events: [handOff(6_100).events![0]!] });
      expect(Object.fromEntries((await k.store.getSteps('j')).map((s) => [s.stepId, s.state]))).toEqual({ 's0/n1/t0': 'succeeded' });
      // Once the request is acted on and cleared, a marked start applies.
      await k.store.commit(lease, { at: 6_200, job: { state: 'running', clearControl: true } });
      await k.store.commit(lease, { ...handOff(6_300), unlessControlRequested: true });
      expect((await k.store.getSteps('j')).find((s) => s.stepId === 's0/n1/t1')?.state).toBe('running');
    });

    it('a zombie\'s marked start is refused for its stale token first, even with a request pending', async () => {
      await k.store.createJob(newJob('j'));
      const zombie = await k.store.acquireLease('j', 'h1', 1_000, 10_000);
      await k.store.commit(zombie, { at: 10_000, job: { state: 'running' } });
      await startT0(zombie, 10_100);
      await k.store.acquireLease('j', 'h2', 1_000, 20_000);
      await k.store.requestControl('j', 'cancel', 20_050);
      const stepsBefore = await k.store.getSteps('j');
      await rejects(k.store.commit(zombie, { ...handOff(20_100), unlessControlRequested: true }), StaleFencingTokenError);
      expect(await k.store.getSteps('j')).toEqual(stepsBefore);
    });

    it('a hand-off to a job that ended meanwhile is refused wholly (JobFinishedError)', async () => {
      const lease = await jobIn('j', 'running');
      await startT0(lease, 5_000);
      await k.store.commit(lease, { at: 5_500, job: { state: 'cancelled' } });
      const stepsBefore = await k.store.getSteps('j');
      const eventsBefore = await k.store.listEvents('j');
      await rejects(k.store.commit(lease, handOff(6_000)), JobFinishedError);
      expect(await k.store.getSteps('j')).toEqual(stepsBefore);
      expect(await k.store.listEvents('j')).toEqual(eventsBefore);
    });
  });
}
