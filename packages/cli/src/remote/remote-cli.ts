import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { formatPlan } from '@scylla-cp/core';
import { ServerApiError, ServerClient, ServerUnreachableError } from '@scylla-cp/server';
import type { CliIo } from '../cli-io.js';
import { colorEnabled, makeColors } from '../colors.js';
import { loadConfig } from '../config-file.js';
import { ExitCode } from '../exit-codes.js';
import { formatError } from '../format-error.js';
import { collect, parseVars, targetingFromFlags } from '../parse-flags.js';
import { buildRegistry } from '../runtime.js';
import { runnerStatus } from '../runner-status.js';
import { printLogs, watchJob } from '../commands/follow-job.js';
import { formatJobs, formatStatus, jobRowData, planStepCount } from '../commands/status-report.js';
import { buildPlan } from '../commands/workflow-inputs.js';
import { followRemoteJob } from './follow-remote-job.js';
import { RemoteJobStore } from './remote-job-store.js';

/** The commands that `--server URL` (or `$SCYLLA_CP_SERVER`) sends to a server. */
export const REMOTE_COMMANDS: readonly string[] = ['run', 'resume', 'retry', 'pause', 'cancel', 'approve', 'status', 'jobs', 'logs'];

/** Options that take a value, wherever they appear (to find the command word in argv). */
const VALUE_OPTIONS = new Set(['--server', '--token', '--config', '--db']);

/** The server URL of this invocation (`--server URL`, `--server=URL`, else `$SCYLLA_CP_SERVER`), or undefined. */
export function serverUrlOf(argv: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--server') return argv[i + 1];
    if (a.startsWith('--server=')) return a.slice('--server='.length);
  }
  return env.SCYLLA_CP_SERVER || undefined;
}

/** The command word of argv (the first argument that is not an option or an option's value). */
function commandOf(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (VALUE_OPTIONS.has(a)) {
      i++;
      continue;
    }
    if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/** How an error of the server API maps to the CLI's message and exit code. */
function formatRemoteError(e: unknown, files: { workflow?: string; inventory?: string }, debug: boolean): { message: string; exitCode: number } {
  if (e instanceof ServerApiError) {
    const rename = (p: string) =>
      p.replace(/^workflow:/, files.workflow ? `${files.workflow}:` : 'workflow:').replace(/^inventory:/, files.inventory ? `${files.inventory}:` : 'inventory:');
    if (e.status === 400) {
      const lines = e.problems.length > 0 ? `:\n${e.problems.map((p) => `  ${rename(p)}`).join('\n')}` : '';
      return { message: `error: ${e.message}${lines}`, exitCode: ExitCode.INVALID_INPUT };
    }
    if (e.status === 401) return { message: `error: the server refused the token: ${e.message}\n  give one with --token or $SCYLLA_CP_TOKEN`, exitCode: ExitCode.INVALID_INPUT };
    if (e.status === 404) return { message: `error: ${e.message}`, exitCode: ExitCode.INVALID_INPUT };
    if (e.code === 'CLUSTER_LOCKED') {
      const held = String(e.details['heldByJobId'] ?? '');
      return { message: `error: ${e.message}\n  see it:    scylla-cp status ${held}\n  cancel it: scylla-cp cancel ${held}`, exitCode: ExitCode.FAILED };
    }
    return { message: `error: ${e.message}`, exitCode: ExitCode.FAILED };
  }
  if (e instanceof ServerUnreachableError) return { message: `error: ${e.message}`, exitCode: ExitCode.FAILED };
  return formatError(e, debug);
}

/**
 * Runs a job command against a `scylla-cp server` when the invocation names
 * one (`--server URL` or `$SCYLLA_CP_SERVER`) and the command is one of
 * {@link REMOTE_COMMANDS}; returns its exit code, or `undefined` when the
 * invocation is for the local CLI. The commands take the same arguments and
 * return the same exit codes as their local forms; `run`, `resume` and
 * `retry` show the live view from the job's event stream.
 */
export async function runRemoteCli(argv: string[], io: CliIo): Promise<number | undefined> {
  const url = serverUrlOf(argv, io.env);
  const command = commandOf(argv);
  if (url === undefined || command === undefined || !REMOTE_COMMANDS.includes(command)) return undefined;
  let exitCode: number = ExitCode.OK;
  const debug = argv.includes('--debug');
  const files: { workflow?: string; inventory?: string } = {};
  const program = new Command('scylla-cp')
    .description(`Job commands on the scylla-cp server at ${url}`)
    .option('--server <url>', 'the scylla-cp server (default: $SCYLLA_CP_SERVER)')
    .option('--token <token>', 'bearer token (default: $SCYLLA_CP_TOKEN)')
    .option('--config <file>', 'config file (plugins for --dry-run)')
    .option('--db <path>', 'ignored with --server: the server has the job store')
    .option('--no-color', 'no colors (also: NO_COLOR=1)')
    .option('--debug', 'show stack traces of errors')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)');
  const opts = () => program.opts<{ token?: string; config?: string; color?: boolean }>();
  const client = () => new ServerClient({ url, token: opts().token ?? io.env.SCYLLA_CP_TOKEN });
  const colors = () => makeColors(colorEnabled(io.env, io.stdout, opts().color === false));
  const follow = async (c: ServerClient, jobId: string, json: boolean, afterSeq: number) => {
    const { job, steps } = await c.get(jobId);
    return followRemoteJob({ io, client: c, job, steps, colors: colors(), json, afterSeq });
  };

  program
    .command('run')
    .description('submit a job to the server and show its progress')
    .argument('<workflow>', 'workflow YAML file')
    .requiredOption('-i, --inventory <file>', 'cluster inventory (YAML)')
    .option('--nodes <ids>', 'only these nodes (comma-separated; repeatable)', collect)
    .option('--zone <zone>', 'only the nodes of this zone (repeatable)', collect)
    .option('--exclude <ids>', 'leave these nodes out (comma-separated; repeatable)', collect)
    .option('--var <name=value>', 'set a workflow variable (repeatable)', collect)
    .option('--allow-concurrent', 'allow this job while another job is active on the cluster')
    .option('-y, --yes', 'accepted for compatibility: with --server the job is submitted without a prompt')
    .option('--dry-run', 'plan locally and print the plan; submit nothing')
    .option('--detach', 'submit and print the job id; do not follow')
    .option('--json', 'print the job events as JSON lines')
    .option('--notify <target>', 'not available with --server: notifications are configured on the server', collect)
    .action(async (file: string, o: Record<string, any>) => {
      files.workflow = file;
      files.inventory = o.inventory;
      if (o.notify) {
        io.stderr.write('error: --notify is configured on the server with --server (scylla-cp server start --notify ...)\n');
        exitCode = ExitCode.INVALID_INPUT;
        return;
      }
      const targeting = targetingFromFlags(o);
      const variables = parseVars(o.var);
      if (o.dryRun) {
        const registry = await buildRegistry(loadConfig(io.cwd, opts().config), io.cwd);
        const { plan } = buildPlan(io.cwd, { workflow: file, inventory: o.inventory, targeting, vars: variables }, registry);
        io.stdout.write(`${formatPlan(plan)}\n`);
        return;
      }
      const workflow = fs.readFileSync(path.resolve(io.cwd, file), 'utf8');
      const inventory = fs.readFileSync(path.resolve(io.cwd, o.inventory), 'utf8');
      const c = client();
      const job = await c.submit({ workflow, inventory, targeting, variables, allowConcurrent: Boolean(o.allowConcurrent) });
      if (!o.json) io.stdout.write(`job ${job.id} submitted to ${c.url} (${job.workflowName} on ${job.cluster})\n`);
      if (o.detach) return;
      exitCode = await follow(c, job.id, Boolean(o.json), 0);
    });

  for (const [name, desc] of [
    ['resume', 'continue a paused job on the server and show its progress'],
    ['retry', 'resume a failed job on the server, attempting its failed steps again'],
  ] as const) {
    program
      .command(name)
      .description(desc)
      .argument('<job-id>', 'the job')
      .option('--detach', 'do not follow')
      .option('--json', 'print the job events as JSON lines')
      .action(async (jobId: string, o: { detach?: boolean; json?: boolean }) => {
        const c = client();
        const before = await c.events(jobId);
        await c.control(jobId, name);
        if (o.detach) return;
        exitCode = await follow(c, jobId, Boolean(o.json), before.at(-1)?.seq ?? 0);
      });
  }

  program
    .command('pause')
    .description('ask the job to pause after its in-flight steps finish')
    .argument('<job-id>', 'the job')
    .action(async (jobId: string) => {
      await client().control(jobId, 'pause');
      io.stdout.write(`pause requested: job ${jobId} stops after its in-flight steps finish; then: scylla-cp --server ${url} resume ${jobId}\n`);
    });

  program
    .command('cancel')
    .description('cancel the job: no new step; the steps in flight finish; a paused or failed job is closed at once')
    .argument('<job-id>', 'the job')
    .option('--now', 'abort the steps in flight (they still settle) instead of letting them finish')
    .action(async (jobId: string, o: { now?: boolean }) => {
      const job = await client().cancel(jobId, Boolean(o.now));
      io.stdout.write(job.state === 'cancelled' ? `job ${jobId} cancelled; the cluster lock is released\n` : `cancel requested: job ${jobId} ends cancelled after its steps in flight\n`);
    });

  program
    .command('approve')
    .description('approve the step a paused job waits for (an !approval step or the --stop-after canary), recorded with your token name, and continue it')
    .argument('<job-id>', 'the job')
    .option('--step <id>', 'the approval step (default: the one the job waits for)')
    .action(async (jobId: string, o: { step?: string }) => {
      await client().approve(jobId, o.step);
      io.stdout.write(`job ${jobId} approved and continuing\n`);
    });

  program
    .command('status')
    .description('per zone, node and step: state, attempts, durations, last error')
    .argument('<job-id>', 'the job')
    .option('--json', 'print the job and its step records as JSON')
    .option('-w, --watch', 'follow the job live until it stops running')
    .action(async (jobId: string, o: { json?: boolean; watch?: boolean }) => {
      const store = new RemoteJobStore(client());
      if (o.watch) {
        exitCode = await watchJob({ io, store, jobId, colors: colors() });
        return;
      }
      const job = await store.getJob(jobId);
      const steps = await store.getSteps(jobId);
      const runner = await runnerStatus(store, job, Date.now());
      io.stdout.write(o.json ? `${JSON.stringify({ job: { ...job, workflowText: undefined }, runner, steps }, null, 2)}\n` : formatStatus(job, steps, runner));
    });

  program
    .command('jobs')
    .description('recent jobs on the server')
    .option('--cluster <name>', 'only this cluster')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print as JSON')
    .action(async (o: { cluster?: string; limit: string; json?: boolean }) => {
      const store = new RemoteJobStore(client());
      const jobs = await store.listJobs({ ...(o.cluster !== undefined ? { cluster: o.cluster } : {}), limit: Number(o.limit) });
      const now = Date.now();
      const rows = await Promise.all(
        jobs.map(async (job) => {
          const steps = await store.getSteps(job.id);
          return { job, stepsDone: steps.filter((s) => s.state === 'succeeded' || s.state === 'skipped').length, stepsTotal: planStepCount(job), runner: await runnerStatus(store, job, now) };
        }),
      );
      io.stdout.write(o.json ? `${JSON.stringify(rows.map(jobRowData), null, 2)}\n` : formatJobs(rows));
    });

  program
    .command('logs')
    .description("the job's event history")
    .argument('<job-id>', 'the job')
    .option('-f, --follow', 'keep printing new events until the job stops running')
    .option('--json', 'one JSON object per event')
    .action(async (jobId: string, o: { follow?: boolean; json?: boolean }) => {
      exitCode = await printLogs({ io, store: new RemoteJobStore(client()), jobId, json: Boolean(o.json), follow: Boolean(o.follow) });
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version') return ExitCode.OK;
      return ExitCode.INVALID_INPUT;
    }
    const f = formatRemoteError(error, files, Boolean(program.opts<{ debug?: boolean }>().debug) || debug);
    io.stderr.write(`${f.message}\n`);
    return f.exitCode;
  }
}
