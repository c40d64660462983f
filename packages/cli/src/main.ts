import os from 'node:os';
import { Command, CommanderError } from 'commander';
import { formatPlan, JobNotFoundError, LeaseHeldError, workflowJsonSchema } from '@scylla-cp/core';
import { processIo, type CliIo } from './cli-io.js';
import { loadConfig, type CliConfig } from './config-file.js';
import { ExitCode } from './exit-codes.js';
import { formatError } from './format-error.js';
import { parseNotifySpec } from './notify-spec.js';
import { collect, parseVars, targetingFromFlags } from './parse-flags.js';
import { buildRegistry, openStore } from './runtime.js';
import { resolveDbPath, resolveOperator } from './state-paths.js';
import { executeJob } from './commands/execute-job.js';
import { formatJobs, formatStatus } from './commands/status-report.js';
import { buildPlan, readWorkflow } from './commands/workflow-inputs.js';
import { runDemo, runSimStart } from './commands/sim-commands.js';

interface GlobalOpts {
  config?: string;
  db?: string;
  debug?: boolean;
}

/**
 * Runs the `scylla-cp` command with `argv` (without `node` and the script)
 * and returns the exit code: 0 success, 1 job failed or halted, 2 invalid
 * input, 3 paused or interrupted.
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let exitCode: number = ExitCode.OK;
  let debug = argv.includes('--debug');
  const program = new Command('scylla-cp')
    .description('Safe, resumable operations on ScyllaDB clusters')
    .option('--config <file>', 'config file (default: ./scylla-cp.config.json if present)')
    .option('--db <path>', 'job store file (default: $SCYLLA_CP_DB or ~/.scylla-cp/jobs.db)')
    .option('--debug', 'show stack traces of errors')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError();

  const globals = (): GlobalOpts => program.opts<GlobalOpts>();
  const config = (): CliConfig => loadConfig(io.cwd, globals().config);
  const dbPath = (cfg: CliConfig) => resolveDbPath(io.cwd, io.env, globals().db, cfg.db);
  const notifyOptions = (cfg: CliConfig, o: { notify?: string[]; operatorMention?: string; notifyOnSuccess?: boolean }) => ({
    notify: [...cfg.notify, ...(o.notify ?? [])].map(parseNotifySpec),
    operatorMention: o.operatorMention ?? cfg.operator_mention,
    notifyOnSuccess: Boolean(o.notifyOnSuccess ?? cfg.notify_on_success),
  });
  const targetingOptions = (c: Command) =>
    c
      .requiredOption('-i, --inventory <file>', 'cluster inventory (YAML)')
      .option('--nodes <ids>', 'only these nodes (ids or addresses, comma-separated; repeatable)', collect)
      .option('--zone <zone>', 'only the nodes of this zone (repeatable)', collect)
      .option('--exclude <ids>', 'leave these nodes out (comma-separated; repeatable)', collect)
      .option('--var <name=value>', 'set a workflow variable (repeatable)', collect);
  const notifyFlags = (c: Command) =>
    c
      .option('--notify <kind:url>', 'webhook: discord:<url>, slack:<url> or webhook:<url> (repeatable)', collect)
      .option('--operator-mention <id>', 'Discord user id to mention when the job halts')
      .option('--notify-on-success', 'also notify when the job completes')
      .option('--json', 'print engine events as JSON lines');

  program
    .command('validate')
    .description('check a workflow file; prints every problem with file:line:column')
    .argument('<workflow>', 'workflow YAML file')
    .action(async (file: string) => {
      const registry = await buildRegistry(config(), io.cwd);
      const wf = readWorkflow(io.cwd, file, registry);
      io.stdout.write(`ok: ${file}: "${wf.name}", ${wf.clusterTasks.length} cluster task(s), ${wf.variables.length} variable(s)\n`);
    });

  targetingOptions(
    program
      .command('plan')
      .description('dry run: print the batches and node order exactly as the engine will run them')
      .argument('<workflow>', 'workflow YAML file'),
  )
    .option('--json', 'print the plan as JSON')
    .action(async (file: string, o: Record<string, any>) => {
      const registry = await buildRegistry(config(), io.cwd);
      const { plan } = buildPlan(io.cwd, { workflow: file, inventory: o.inventory, targeting: targetingFromFlags(o), vars: parseVars(o.var) }, registry);
      io.stdout.write(o.json ? `${JSON.stringify(plan, null, 2)}\n` : `${formatPlan(plan)}\n`);
    });

  notifyFlags(
    targetingOptions(
      program
        .command('run')
        .description('start a job and show its progress')
        .argument('<workflow>', 'workflow YAML file'),
    ),
  )
    .option('--operator <name>', 'who runs the job (default: $SCYLLA_CP_OPERATOR or your user name)')
    .option('--allow-concurrent', 'allow this job while another job is active on the cluster')
    .action(async (file: string, o: Record<string, any>) => {
      const cfg = config();
      const registry = await buildRegistry(cfg, io.cwd);
      const { workflow, plan } = buildPlan(io.cwd, { workflow: file, inventory: o.inventory, targeting: targetingFromFlags(o), vars: parseVars(o.var) }, registry);
      const db = dbPath(cfg);
      const store = await openStore(db);
      try {
        exitCode = await executeJob({
          io,
          store,
          registry,
          json: Boolean(o.json),
          dbPath: db,
          ...notifyOptions(cfg, o),
          start: {
            kind: 'start',
            plan,
            operator: resolveOperator(io.env, o.operator, cfg.operator),
            workflowText: workflow.source.text,
            allowConcurrent: Boolean(o.allowConcurrent),
          },
        });
      } finally {
        await store.close();
      }
    });

  for (const [name, retryFailed, desc] of [
    ['resume', false, 'continue a stored job: succeeded steps are skipped, interrupted ones attempted again'],
    ['retry', true, 'resume a failed job and attempt its failed step(s) again'],
  ] as const) {
    notifyFlags(program.command(name).description(desc).argument('<job-id>', 'the job')).action(async (jobId: string, o: Record<string, any>) => {
      const cfg = config();
      const registry = await buildRegistry(cfg, io.cwd);
      const db = dbPath(cfg);
      const store = await openStore(db);
      try {
        await store.getJob(jobId);
        exitCode = await executeJob({ io, store, registry, json: Boolean(o.json), dbPath: db, ...notifyOptions(cfg, o), start: { kind: 'resume', jobId, retryFailed } });
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
      const store = await openStore(dbPath(config()));
      try {
        const job = await store.getJob(jobId);
        if (job.state !== 'running' && job.state !== 'pending') {
          io.stderr.write(`job ${jobId} is ${job.state}, not running: nothing to pause\n`);
          exitCode = ExitCode.FAILED;
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
    .description('cancel a job: a running one stops after its in-flight steps; a paused or failed one is closed at once')
    .argument('<job-id>', 'the job')
    .action(async (jobId: string) => {
      const store = await openStore(dbPath(config()));
      try {
        const job = await store.getJob(jobId);
        if (job.state === 'succeeded' || job.state === 'cancelled') {
          io.stderr.write(`job ${jobId} already ended (${job.state})\n`);
          exitCode = ExitCode.FAILED;
          return;
        }
        try {
          const lease = await store.acquireLease(jobId, `${os.hostname()}:${process.pid}:cancel`, 30_000, Date.now());
          await store.commit(lease, {
            at: Date.now(),
            job: { state: 'cancelled', clearControl: true },
            events: [{ type: 'job-cancelled', data: { by: 'scylla-cp cancel', previousState: job.state } }],
          });
          await store.releaseLease(lease);
          io.stdout.write(`job ${jobId} cancelled (it was ${job.state}); the cluster lock is released\n`);
        } catch (e) {
          if (!(e instanceof LeaseHeldError)) throw e;
          await store.requestControl(jobId, 'cancel', Date.now());
          io.stdout.write(`cancel requested: job ${jobId} is running (${e.holder}); it stops after its in-flight steps finish\n`);
        }
      } finally {
        await store.close();
      }
    });

  program
    .command('status')
    .description('per zone, node and step: state, attempts, durations, last error')
    .argument('<job-id>', 'the job')
    .option('--json', 'print the job and its step records as JSON')
    .action(async (jobId: string, o: { json?: boolean }) => {
      const store = await openStore(dbPath(config()));
      try {
        const job = await store.getJob(jobId);
        const steps = await store.getSteps(jobId);
        io.stdout.write(o.json ? `${JSON.stringify({ job: { ...job, workflowText: undefined }, steps }, null, 2)}\n` : formatStatus(job, steps));
      } finally {
        await store.close();
      }
    });

  program
    .command('jobs')
    .description('recent jobs with cluster, operator and state')
    .option('--cluster <name>', 'only this cluster')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print as JSON')
    .action(async (o: { cluster?: string; limit: string; json?: boolean }) => {
      const store = await openStore(dbPath(config()));
      try {
        const jobs = await store.listJobs({ cluster: o.cluster, limit: Number(o.limit) });
        io.stdout.write(
          o.json
            ? `${JSON.stringify(jobs.map((j) => ({ id: j.id, state: j.state, cluster: j.cluster, operator: j.operator, workflow: j.workflowName, createdAt: new Date(j.createdAt).toISOString() })), null, 2)}\n`
            : formatJobs(jobs),
        );
      } finally {
        await store.close();
      }
    });

  program
    .command('schema')
    .description('print the workflow JSON Schema for the registered plugins (for editors)')
    .action(async () => {
      const registry = await buildRegistry(config(), io.cwd);
      io.stdout.write(`${JSON.stringify(workflowJsonSchema(registry), null, 2)}\n`);
    });

  const sim = program.command('sim').description('the simulated ScyllaDB cluster');
  sim
    .command('start')
    .description('run a simulated cluster in the foreground and write its inventory file')
    .option('--zones <n>', 'zones (racks) in one dc', '3')
    .option('--nodes-per-zone <n>', 'nodes per zone', '2')
    .option('--inventory-out <file>', 'where to write the inventory', 'sim-inventory.yaml')
    .option('--speed <x>', 'simulated time runs this many times faster than real time', '1')
    .action(async (o: { zones: string; nodesPerZone: string; inventoryOut: string; speed: string }) => {
      exitCode = await runSimStart(io, { zones: Number(o.zones), nodesPerZone: Number(o.nodesPerZone), inventoryOut: o.inventoryOut, speed: Number(o.speed) });
    });

  program
    .command('demo')
    .description('start a simulated cluster and run the canonical drain-and-restart workflow on it')
    .option('--speed <x>', 'simulated time runs this many times faster than real time', '10')
    .option('--json', 'print engine events as JSON lines')
    .action(async (o: { speed: string; json?: boolean }) => {
      const cfg = config();
      const registry = await buildRegistry(cfg, io.cwd);
      const db = dbPath(cfg);
      exitCode = await runDemo(io, { registry, dbPath: db, speed: Number(o.speed), json: Boolean(o.json) });
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    debug = Boolean(globals().debug);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version') return ExitCode.OK;
      return ExitCode.INVALID_INPUT;
    }
    const f = formatError(error instanceof JobNotFoundError ? error : error, debug);
    io.stderr.write(`${f.message}\n`);
    return f.exitCode;
  }
}
