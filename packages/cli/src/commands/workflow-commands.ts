import { formatPlan, SystemClock } from '@scylla-cp/core';
import type { CliContext } from '../cli-context.js';
import { notifyFlags, notifySettings, outputOption, targetingOptions } from '../command-options.js';
import { ExitCode } from '../exit-codes.js';
import { renderOutput, type OutputFormat } from '../output-format.js';
import { parseVars, targetingFromFlags } from '../parse-flags.js';
import { buildRegistry } from '../runtime.js';
import { resolveOperator } from '../state-paths.js';
import { applyGateFlags, gateFlags } from './gate-commands.js';
import { buildPlanWithProviders } from './plan-with-providers.js';
import { formatPreflight, runPreflight } from './preflight.js';
import { runNewJob } from './run-job.js';
import { readWorkflow } from './workflow-inputs.js';

/**
 * The commands that start from a workflow file: `validate <workflow>`, and,
 * with an inventory and targeting, `plan`, `preflight` and `run` (which starts
 * a new job). Registered on `ctx.program` in that order (the order of
 * `--help`).
 */
export function registerWorkflowCommands(ctx: CliContext): void {
  const { io, program } = ctx;
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
          notify: notifySettings(cfg, o, io),
          yes: Boolean(o.yes),
          dryRun: Boolean(o.dryRun),
          skipPreflight: Boolean(o.skipPreflight),
          json: Boolean(o.json),
          dbPath: db,
          openStore: () => ctx.store(cfg),
        }),
      );
    });
}
