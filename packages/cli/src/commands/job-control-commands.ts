import { Engine, type ClusterInventory } from '@scylla-cp/core';
import type { CliContext } from '../cli-context.js';
import { notifyFlags, notifySettings } from '../command-options.js';
import { ExitCode } from '../exit-codes.js';
import { buildRegistry } from '../runtime.js';
import { runnerStatus } from '../runner-status.js';
import { resolveOperator } from '../state-paths.js';
import { resumeJob } from './resume-job.js';
import { readInventory } from './workflow-inputs.js';

/**
 * The commands that act on a stored job's run: `resume` and `retry` (run it
 * again in the foreground), `pause` and `cancel` (ask the process running it,
 * or close it when nobody does). Registered on `ctx.program` in that order.
 */
export function registerJobControlCommands(ctx: CliContext): void {
  const { io, program } = ctx;
  for (const [name, retryFailed, desc] of [
    ['resume', false, 'continue a stored job: succeeded steps are skipped, interrupted ones attempted again'],
    ['retry', true, 'resume a failed job and attempt its failed step(s) again'],
  ] as const) {
    notifyFlags(program.command(name).description(desc).argument('<job-id>', 'the job'))
      .option('--force', 'take over at once when the runner is provably dead (its pid is gone on this host); otherwise wait for its lease to expire')
      .option('-i, --inventory <file>', 're-bind connection settings (ports, ssh, Prometheus) from this inventory; the same nodes only')
      .option('--operator <name>', 'who resumes (recorded with a re-binding)')
      .action(async (jobId: string, o: Record<string, any>) => {
        const cfg = ctx.config();
        const registry = await buildRegistry(cfg, io.cwd);
        const inventory: ClusterInventory | undefined = o.inventory !== undefined ? readInventory(io.cwd, o.inventory, '--inventory') : undefined;
        const store = await ctx.store(cfg);
        try {
          ctx.setExit(
            await resumeJob(ctx, {
              cfg,
              store,
              registry,
              json: Boolean(o.json),
              notify: () => notifySettings(cfg, o, io),
              start: {
                kind: 'resume',
                jobId,
                retryFailed,
                force: Boolean(o.force),
                ...(inventory ? { inventory, operator: resolveOperator(io.env, o.operator, cfg.operator) } : {}),
              },
            }),
          );
        } finally {
          await store.close();
        }
      });
  }

  program
    .command('pause')
    .description('ask a running job to pause after its in-flight steps finish')
    .argument('<job-id>', 'the job')
    .action(async (jobId: string) => {
      const store = await ctx.store();
      try {
        const job = await store.getJob(jobId);
        if (job.state !== 'running' && job.state !== 'pending') {
          io.stderr.write(`job ${jobId} is ${job.state}, not running: nothing to pause\n`);
          ctx.setExit(ExitCode.FAILED);
          return;
        }
        const runner = await runnerStatus(store, job, Date.now());
        if (runner.state === 'dead') {
          // Nobody would act on the request: say so instead of recording it silently.
          io.stderr.write(
            `job ${jobId} is recorded as running but its runner is ${runner.text}: nothing is running it, so there is nothing to pause.\n` +
              `  continue it: scylla-cp resume ${jobId}${runner.provablyDead ? ' --force' : ''}\n  or close it: scylla-cp cancel ${jobId}\n`,
          );
          ctx.setExit(ExitCode.FAILED);
          return;
        }
        await store.requestControl(jobId, 'pause', Date.now());
        io.stdout.write(`pause requested: job ${jobId} stops after its in-flight steps finish; then: scylla-cp resume ${jobId}\n`);
      } finally {
        await store.close();
      }
    });

  program
    .command('cancel')
    .description('cancel a job: no new step starts, the steps in flight finish, then the job ends cancelled (with --now: the steps in flight are aborted, and waited for until they stop)')
    .argument('<job-id>', 'the job')
    .option('--now', 'abort the steps in flight instead of letting them finish')
    .action(async (jobId: string, o: { now?: boolean }) => {
      const cfg = ctx.config();
      const registry = await buildRegistry(cfg, io.cwd);
      const store = await ctx.store(cfg);
      const engine = new Engine({ store, registry });
      try {
        const job = await store.getJob(jobId);
        if (job.state === 'succeeded' || job.state === 'cancelled') {
          io.stderr.write(`job ${jobId} already ended (${job.state}); nothing to cancel\n`);
          ctx.setExit(ExitCode.FAILED);
          return;
        }
        const result = await engine.cancel(jobId, { now: Boolean(o.now), reason: `scylla-cp cancel${o.now ? ' --now' : ''} by ${resolveOperator(io.env, undefined, cfg.operator)}` });
        if (result === 'cancelled') {
          io.stdout.write(`job ${jobId} cancelled (it was ${job.state}; no runner held it); the cluster lock is released\n`);
        } else {
          io.stdout.write(
            o.now
              ? `cancel --now requested: job ${jobId} is run by another process; it aborts the steps in flight, waits until they stop, then ends cancelled (follow it: scylla-cp status ${jobId} --watch)\n`
              : `cancel requested: job ${jobId} is run by another process; it starts no new step, lets the steps in flight finish, then ends cancelled (follow it: scylla-cp status ${jobId} --watch)\n`,
          );
        }
      } finally {
        await engine.close();
        await store.close();
      }
    });
}
