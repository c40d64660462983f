import { RecoverableError, type ExecuteNodeTask, type NodeExecutionContext } from '@scylla-cp/core';
import { z } from 'zod';
import { scyllaApi } from '../services/scylla-api-service.js';
import { RAFT_TABLET_ROUTES } from './raft-tablet-routes.js';

/** Parameters of `!scylla-raft-stepdown`. */
export const raftStepdownParams = z.strictObject({
  /** How long to wait for another node to lead, seconds. @default 60 */
  wait_seconds: z.number().positive().max(3600).default(60),
  /** Seconds between leader polls. @default 1 */
  poll_interval_seconds: z.number().positive().max(60).default(1),
});

/** Validated parameters of `!scylla-raft-stepdown`. */
export type RaftStepdownParams = z.output<typeof raftStepdownParams>;

/**
 * `!scylla-raft-stepdown {wait_seconds?, poll_interval_seconds?}` (node
 * task): when the node leads Raft group0 (`GET /raft/leader_host` equals its
 * `GET /storage_service/hostid/local`), asks it to hand leadership over
 * (`POST /raft/trigger_stepdown/`) and waits until `leader_host` names
 * another node, so that restarting it next costs the cluster no leader
 * election under load. A node that does not lead is left alone (so the task
 * is idempotent: after a step-down it finds another leader and does
 * nothing). Put it before the drain of a restart. Errors: no other leader
 * within `wait_seconds` (or the REST API unreachable) is recoverable; a 4xx is
 * unrecoverable.
 */
export class ScyllaRaftStepdown implements ExecuteNodeTask {
  constructor(readonly params: RaftStepdownParams) {}
  name(): string {
    return 'scylla-raft-stepdown';
  }
  preconditions() {
    return [];
  }
  async execute(ctx: NodeExecutionContext): Promise<{ wasLeader: boolean; leader: string }> {
    const api = scyllaApi(ctx);
    const o = { signal: ctx.signal };
    const self = await api.call(RAFT_TABLET_ROUTES.localHostId, {}, o);
    const leader = await api.call(RAFT_TABLET_ROUTES.leaderHost, {}, o);
    if (leader !== self) {
      ctx.logger.info(`${ctx.node.id} (${self}) does not lead group0 (${leader || 'no leader'}); nothing to hand over`);
      return { wasLeader: false, leader };
    }
    ctx.logger.info(`${ctx.node.id} leads group0: asking it to step down`);
    await api.call(RAFT_TABLET_ROUTES.triggerStepdown, {}, o);
    const deadline = ctx.clock.now() + this.params.wait_seconds * 1000;
    for (;;) {
      let now = '';
      try {
        now = await api.call(RAFT_TABLET_ROUTES.leaderHost, {}, o);
      } catch (e) {
        // No leader for a moment (an election) or a slow answer: poll again.
        if (!(e instanceof RecoverableError) || ctx.signal.aborted) throw e;
      }
      if (now !== '' && now !== self) {
        ctx.logger.info(`group0 is led by ${now} now`);
        return { wasLeader: true, leader: now };
      }
      if (ctx.clock.now() >= deadline) {
        throw new RecoverableError(`${ctx.node.id} still leads group0 (or no leader) ${this.params.wait_seconds} s after the step-down request`, {
          code: 'STEPDOWN_TIMEOUT',
          details: { node: ctx.node.id, hostId: self },
        });
      }
      await ctx.clock.sleep(this.params.poll_interval_seconds * 1000, ctx.signal);
    }
  }
}
