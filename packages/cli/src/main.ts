import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { Engine, formatPlan, InvalidInputError, loadInventory, type ClusterInventory, type JobStore } from '@scylla-cp/core';
import { processIo, type CliIo } from './cli-io.js';
import { CLI_VERSION } from './cli-version.js';
import { colorEnabled, makeColors, type Colors } from './colors.js';
import { loadConfig, type CliConfig } from './config-file.js';
import { ExitCode } from './exit-codes.js';
import { formatError } from './format-error.js';
import { parseNotifySpec } from './notify-spec.js';
import { renderOutput, type OutputFormat } from './output-format.js';
import { collect, parseVars, targetingFromFlags } from './parse-flags.js';
import { buildRegistry, openStore } from './runtime.js';
import { runnerStatus } from './runner-status.js';
import { resolveDbPath, resolveOperator } from './state-paths.js';
import { executeJob } from './commands/execute-job.js';
import { printLogs, watchJob } from './commands/follow-job.js';
import { parseSince } from './commands/job-events.js';
import { formatPreflight, runPreflight } from './commands/preflight.js';
import { renderHtmlReport } from './commands/report-html.js';
import { resumeNotify, runNewJob, type NotifySettings } from './commands/run-job.js';
import { editorSettings } from './commands/schema-settings.js';
import { formatJobs, formatStatus, jobRowData, planStepCount } from './commands/status-report.js';
import { assertFile, readWorkflow } from './commands/workflow-inputs.js';
import { runDemo, runSimStart } from './commands/sim-commands.js';
// scylla-cp server (issue 17): the `server` command and `--server URL` remote mode.
import { registerServerCommand } from './commands/server-command.js';
// issue 15: --window/--timezone/--stop-after on plan and run, and the approve command.
import { applyGateFlags, gateFlags, registerApproveCommand } from './commands/gate-commands.js';
import { buildPlanWithProviders } from './commands/plan-with-providers.js';
import { runRemoteCli } from './remote/remote-cli.js';
import { SystemClock, workflowJsonSchema } from '@scylla-cp/core';

interface GlobalOpts {
  config?: string;
  db?: string;
  debug?: boolean;
  color?: boolean;
}

/** What every command registration gets: the I/O, the parsed globals, and a way to set the exit code. */
export interface CliContext {
  io: CliIo;
  program: Command;
  globals(): GlobalOpts;
  config(): CliConfig;
  dbPath(cfg: CliConfig): string;
  /** Opens the job store (`--db`, ...), with a clear error naming the path when it cannot. */
  store(cfg?: CliConfig): Promise<JobStore>;
  colors(stream?: { isTTY?: boolean }): Colors;
  setExit(code: number): void;
}

/** Parses a whole number >= `min` for option `flag`; commander reports the flag on failure (exit 2). */
export function intArg(min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number >= ${min}`);
    return n;
  };
}

/** Parses a number > 0 (e.g. `--speed`). */
export function positiveArg(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number > 0');
  return n;
}

const outputOption = () => new Option('-o, --output <format>', 'print as json or yaml').choices(['json', 'yaml']);

/**
 * Runs the `scylla-cp` command with `argv` (without `node` and the script)
 * and returns the exit code: 0 success, 1 job failed or halted, 2 invalid
 * input, 3 paused or interrupted.
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let exitCode: number = ExitCode.OK;
  // With --server URL (or $SCYLLA_CP_SERVER), job commands go to a scylla-cp server.
  const remote = await runRemoteCli(argv, io);
  if (remote !== undefined) return remote;
  let debug = argv.includes('--debug');
  const program = new Command('scylla-cp')
    .description('Safe, resumable operations on ScyllaDB clusters')
    .version(CLI_VERSION, '-V, --version', 'print the version')
    .option('--config <file>', 'config file (default: ./scylla-cp.config.json if present)')
    .option('--db <path>', 'job store file (default: $SCYLLA_CP_DB or ~/.scylla-cp/jobs.db)')
    .option('--no-color', 'no colors (also: NO_COLOR=1)')
    .option('--debug', 'show stack traces of errors')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)');

  const globals = (): GlobalOpts => program.opts<GlobalOpts>();
  const ctx: CliContext = {
    io,
    program,
    globals,
    config: () => loadConfig(io.cwd, globals().config),
    dbPath: (cfg) => resolveDbPath(io.cwd, io.env, globals().db, cfg.db),
    store: async (cfg) => {
      const c = cfg ?? ctx.config();
      const p = ctx.dbPath(c);
      const flag = globals().db !== undefined ? '--db' : io.env.SCYLLA_CP_DB ? '$SCYLLA_CP_DB' : c.db ? `"db" in ${c.file}` : 'the default job store';
      return openStore(p, flag);
    },
    colors: (stream = io.stdout) => makeColors(colorEnabled(io.env, stream, globals().color === false)),
    setExit: (code) => {
      exitCode = code;
    },
  };
  const notifyOptions = (cfg: CliConfig, o: { notify?: string[]; operatorMention?: string; notifyOnSuccess?: boolean }): NotifySettings => {
    const r: NotifySettings = {
      notify: [...cfg.notify, ...(o.notify ?? [])].map((s) => parseNotifySpec(s, io.env, io.cwd)),
      notifyOnSuccess: Boolean(o.notifyOnSuccess ?? cfg.notify_on_success),
    };
    const mention = o.operatorMention ?? cfg.operator_mention;
    if (mention !== undefined) r.operatorMention = mention;
    return r;
  };
  const targetingOptions = (c: Command) =>
    c
      .requiredOption('-i, --inventory <file>', 'cluster inventory (YAML)')
      .option('--nodes <ids>', 'only these nodes (ids or addresses, comma-separated; repeatable)', collect)
      .option('--zone <zone>', 'only the nodes of this zone (repeatable)', collect)
      .option('--exclude <ids>', 'leave these nodes out (comma-separated; repeatable)', collect)
      .option('--var <name=value>', 'set a workflow variable (repeatable)', collect);
  const notifyFlags = (c: Command) =>
    c
      .option('--notify <target>', 'page: discord:<url|env:NAME|file:PATH>, slack:..., webhook:... (repeatable)', collect)
      .option('--operator-mention <id>', 'Discord user id to mention when the job halts')
      .option('--notify-on-success', 'also notify when the job completes')
      .option('--json', 'print engine events as JSON lines');
  const planFrom = async (file: string, o: Record<string, any>) => {
    const cfg = ctx.config();
    const registry = await buildRegistry(cfg, io.cwd);
    const built = await buildPlanWithProviders(io.cwd, { workflow: file, inventory: o.inventory, targeting: targetingFromFlags(o), vars: parseVars(o.var) }, registry);
    return { cfg, registry, ...built, plan: applyGateFlags(built.plan, o) };
  };

  program
    .command('validate')
    .description('check a workflow file; prints every problem with file:line:column')
    .argument('<workflow>', 'workflow YAML file')
    .action(async (file: string) => {
      const registry = await buildRegistry(ctx.config(), io.cwd);
      const wf = readWorkflow(io.cwd, file, registry);
      io.stdout.write(`ok: ${file}: "${wf.name}", ${wf.clusterTasks.length} cluster task(s), ${wf.variables.length} variable(s)\n`);
    });

  gateFlags(targetingOptions(program.command('plan').description('dry run: print the batches and node order exactly as the engine will run them').argument('<workflow>', 'workflow YAML file')))
    .addOption(outputOption())
    .option('--json', 'same as --output json')
    .action(async (file: string, o: Record<string, any>) => {
      const { plan } = await planFrom(file, o);
      const format: OutputFormat | undefined = o.output ?? (o.json ? 'json' : undefined);
      io.stdout.write(format ? renderOutput(plan, format) : `${formatPlan(plan)}\n`);
    });

  targetingOptions(
    program
      .command('preflight')
      .description('check, without changing anything, that the targeted nodes answer (REST, ssh, Prometheus) and the cluster is normal')
      .argument('<workflow>', 'workflow YAML file'),
  )
    .addOption(outputOption())
    .option('--all', 'list the checks that passed too')
    .action(async (file: string, o: Record<string, any>) => {
      const { plan, registry } = await planFrom(file, o);
      const checks = await runPreflight(plan, { registry, clock: new SystemClock() });
      io.stdout.write(o.output ? renderOutput(checks, o.output) : formatPreflight(checks, Boolean(o.all)));
      ctx.setExit(checks.every((c) => c.ok) ? ExitCode.OK : ExitCode.FAILED);
    });

  gateFlags(notifyFlags(targetingOptions(program.command('run').description('show the plan, run the preflight, ask, then start the job and show its progress').argument('<workflow>', 'workflow YAML file'))))
    .option('--operator <name>', 'who runs the job (default: $SCYLLA_CP_OPERATOR or your user name)')
    .option('--allow-concurrent', 'allow this job while another job is active on the cluster')
    .option('-y, --yes', 'start without asking for confirmation (needed when stdin is not a terminal)')
    .option('--dry-run', 'plan and run the preflight, then stop')
    .option('--skip-preflight', 'start without the preflight (recorded with the job)')
    .action(async (file: string, o: Record<string, any>) => {
      const { cfg, registry, workflow, plan } = await planFrom(file, o);
      const db = ctx.dbPath(cfg);
      ctx.setExit(
        await runNewJob({
          io,
          colors: ctx.colors(),
          registry,
          plan,
          workflowText: workflow.source.text,
          operator: resolveOperator(io.env, o.operator, cfg.operator),
          allowConcurrent: Boolean(o.allowConcurrent),
          notify: notifyOptions(cfg, o),
          yes: Boolean(o.yes),
          dryRun: Boolean(o.dryRun),
          skipPreflight: Boolean(o.skipPreflight),
          json: Boolean(o.json),
          dbPath: db,
          openStore: () => ctx.store(cfg),
        }),
      );
    });

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
      let inventory: ClusterInventory | undefined;
      if (o.inventory !== undefined) {
        const abs = path.resolve(io.cwd, o.inventory);
        assertFile(abs, 'inventory (--inventory)');
        inventory = loadInventory(abs);
      }
      const store = await ctx.store(cfg);
      try {
        const job = await store.getJob(jobId);
        const notify = resumeNotify(job.plan, notifyOptions(cfg, o), io);
        ctx.setExit(
          await executeJob({
            io,
            store,
            registry,
            json: Boolean(o.json),
            dbPath: ctx.dbPath(cfg),
            colors: ctx.colors(),
            ...notify,
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

  program
    .command('status')
    .description('per zone, node and step: state, attempts, durations, last error; whether the runner is alive')
    .argument('<job-id>', 'the job')
    .addOption(outputOption())
    .option('--json', 'same as --output json')
    .option('-w, --watch', 'follow the job live (from the store) until it stops running')
    .action(async (jobId: string, o: { output?: OutputFormat; json?: boolean; watch?: boolean }) => {
      const store = await ctx.store();
      try {
        if (o.watch) {
          ctx.setExit(await watchJob({ io, store, jobId, colors: ctx.colors() }));
          return;
        }
        const job = await store.getJob(jobId);
        const steps = await store.getSteps(jobId);
        const runner = await runnerStatus(store, job, Date.now());
        const format = o.output ?? (o.json ? 'json' : undefined);
        io.stdout.write(
          format ? renderOutput({ job: { ...job, workflowText: undefined }, runner: { state: runner.state, text: runner.text, holder: runner.holder }, steps }, format) : formatStatus(job, steps, runner),
        );
      } finally {
        await store.close();
      }
    });

  program
    .command('jobs')
    .description('recent jobs: state, cluster, operator, progress, duration, whether the runner is alive')
    .option('--cluster <name>', 'only this cluster')
    .option('--limit <n>', 'how many', intArg(1), 20)
    .addOption(outputOption())
    .option('--json', 'same as --output json')
    .action(async (o: { cluster?: string; limit: number; output?: OutputFormat; json?: boolean }) => {
      const store = await ctx.store();
      try {
        const jobs = await store.listJobs({ ...(o.cluster !== undefined ? { cluster: o.cluster } : {}), limit: o.limit });
        const now = Date.now();
        const rows = await Promise.all(
          jobs.map(async (job) => {
            const steps = await store.getSteps(job.id);
            return { job, stepsDone: steps.filter((s) => s.state === 'succeeded' || s.state === 'skipped').length, stepsTotal: planStepCount(job), runner: await runnerStatus(store, job, now) };
          }),
        );
        const format = o.output ?? (o.json ? 'json' : undefined);
        if (format) io.stdout.write(renderOutput(rows.map(jobRowData), format));
        else if (rows.length === 0 && o.cluster !== undefined) {
          const any = await store.listJobs({ limit: 200 });
          const clusters = [...new Set(any.map((j) => j.cluster))];
          io.stdout.write(`no jobs for cluster "${o.cluster}" in ${ctx.dbPath(ctx.config())}${clusters.length > 0 ? ` (clusters with jobs: ${clusters.join(', ')})` : ''}\n`);
        } else io.stdout.write(formatJobs(rows));
      } finally {
        await store.close();
      }
    });

  program
    .command('logs')
    .description("the job's event history: starts, attempts, retries, failures, pauses and resumes")
    .argument('<job-id>', 'the job')
    .option('-f, --follow', 'keep printing new events until the job stops running')
    .option('--json', 'one JSON object per event')
    .option('--since <when>', 'only events since a duration ago (90s, 15m, 2h, 1d) or an ISO-8601 time')
    .action(async (jobId: string, o: { follow?: boolean; json?: boolean; since?: string }) => {
      const since = o.since !== undefined ? parseSince(o.since, Date.now()) : undefined;
      const store = await ctx.store();
      try {
        ctx.setExit(await printLogs({ io, store, jobId, json: Boolean(o.json), follow: Boolean(o.follow), ...(since !== undefined ? { since } : {}) }));
      } finally {
        await store.close();
      }
    });

  program
    .command('report')
    .description('write a self-contained HTML report of a job: a timeline per zone and node, and a summary table')
    .argument('<job-id>', 'the job')
    .requiredOption('--html <file>', 'where to write the HTML file')
    .action(async (jobId: string, o: { html: string }) => {
      const out = path.resolve(io.cwd, o.html);
      if (fs.existsSync(out) && fs.statSync(out).isDirectory()) throw new InvalidInputError(`--html ${out} is a directory; give a file name`, { code: 'BAD_FLAG' });
      if (!fs.existsSync(path.dirname(out))) throw new InvalidInputError(`--html ${out}: the folder ${path.dirname(out)} does not exist`, { code: 'BAD_FLAG' });
      const store = await ctx.store();
      try {
        const job = await store.getJob(jobId);
        const steps = await store.getSteps(jobId);
        const events = [];
        for (let after = 0; ; ) {
          const page = await store.listEvents(jobId, { afterSeq: after });
          if (page.length === 0) break;
          events.push(...page);
          after = page[page.length - 1]!.seq;
        }
        fs.writeFileSync(out, renderHtmlReport(job, steps, events));
        io.stdout.write(`report of job ${jobId} (${job.state}) written to ${out}\n`);
      } finally {
        await store.close();
      }
    });

  program
    .command('schema')
    .description('print the workflow JSON Schema for the registered plugins (for editors)')
    .option('--vscode', 'print VS Code settings for the YAML extension (yaml-language-server): the schema and the custom tags')
    .option('--schema-path <file>', 'with --vscode: where the schema file will be (default: ./scylla-cp.schema.json)', 'scylla-cp.schema.json')
    .action(async (o: { vscode?: boolean; schemaPath: string }) => {
      const registry = await buildRegistry(ctx.config(), io.cwd);
      io.stdout.write(`${JSON.stringify(o.vscode ? editorSettings(registry, o.schemaPath) : workflowJsonSchema(registry), null, 2)}\n`);
    });

  const sim = program.command('sim').description('the simulated ScyllaDB cluster');
  sim
    .command('start')
    .description('run a simulated cluster in the foreground and write its inventory file')
    .option('--zones <n>', 'zones (racks) in one dc', intArg(1), 3)
    .option('--nodes-per-zone <n>', 'nodes per zone', intArg(1), 2)
    .option('--inventory-out <file>', 'where to write the inventory', 'sim-inventory.yaml')
    .option('--speed <x>', 'simulated time runs this many times faster than real time', positiveArg, 1)
    .action(async (o: { zones: number; nodesPerZone: number; inventoryOut: string; speed: number }) => {
      ctx.setExit(await runSimStart(io, o));
    });

  program
    .command('demo')
    .description('start a simulated cluster and run the canonical drain-and-restart workflow on it')
    .option('--speed <x>', 'simulated time runs this many times faster than real time', positiveArg, 10)
    .option('--json', 'print engine events as JSON lines')
    .action(async (o: { speed: number; json?: boolean }) => {
      const cfg = ctx.config();
      const registry = await buildRegistry(cfg, io.cwd);
      ctx.setExit(await runDemo(io, { registry, dbPath: ctx.dbPath(cfg), speed: o.speed, json: Boolean(o.json), colors: ctx.colors() }));
    });

  registerServerCommand(ctx);
  registerApproveCommand(ctx);

  try {
    await program.parseAsync(argv, { from: 'user' });
    debug = Boolean(globals().debug);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version') return ExitCode.OK;
      return ExitCode.INVALID_INPUT;
    }
    const f = formatError(error, debug);
    io.stderr.write(`${f.message}\n`);
    return f.exitCode;
  }
}
