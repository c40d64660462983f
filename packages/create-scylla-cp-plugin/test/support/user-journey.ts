/**
 * The path a user takes, as data: the registry end-to-end test runs exactly these commands and
 * writes exactly these files, and the root README's "Writing a task plugin" section shows them
 * (a test compares the two).
 */

/** The plugin the journey creates and publishes. */
export const PLUGIN_NAME = 'scylla-cp-plugin-banner';

/** A plugin author, in an empty folder. */
export const AUTHOR_COMMANDS = [
  `npm create scylla-cp-plugin@latest ${PLUGIN_NAME}`,
  `cd ${PLUGIN_NAME}`,
  'npm install',
  'npm run build',
  'npm test',
  'npm publish',
] as const;

/** The workflow the ops repository runs with the plugin's tasks and condition. */
export const WORKFLOW_FILE = 'banner-restart.yaml';
export const WORKFLOW_YAML = `name: Snapshot, then banner, restart and warm-up node by node
cluster_tasks:
  - task: !snapshot-everywhere
      tag: before-restart
  - task: !node-workflow
      name: each node
      concurrency_unit: zone
      concurrency_limit: 1
      node_tasks:
        - task: !maintenance-banner
            text: rolling restart by scylla-cp
        - task: !systemd-restart-service
            service: scylla-server
        - task: !wait-for-conditions
            conditions:
              - condition: !scylla-uptime-at-least
                  seconds: 30
                poll_interval_seconds: 5
                timeout_seconds: 600
`;

/** A ts-node script that uses the engine directly (no CLI), on an in-process simulated cluster. */
export const SCRIPT_FILE = 'snapshot.ts';
export const SCRIPT_TS = `import { Engine, MemoryStore, PluginRegistry, VirtualClock, corePlugin, parseWorkflow, plan } from '@scylla-cp/core';
import { SimCluster, provideSimServices } from '@scylla-cp/sim';
import { scyllaPlugin } from '@scylla-cp/tasks-scylla';
import { plugin } from '${PLUGIN_NAME}';

async function main(): Promise<void> {
  const clock = new VirtualClock();
  const cluster = new SimCluster({ name: 'script', clock, nodesPerZone: 1 });
  const registry = new PluginRegistry().register(corePlugin, scyllaPlugin, plugin);
  provideSimServices(registry, cluster);
  const yaml = 'name: snapshot\\ncluster_tasks:\\n  - task: !snapshot-everywhere\\n      tag: from-script\\n';
  const jobPlan = plan(parseWorkflow(yaml, { registry }), cluster.inventory(), {}, {}, { registry });
  const store = new MemoryStore();
  const engine = new Engine({ store, registry, clock });
  const job = await engine.start(jobPlan, { operator: 'script', workflowText: yaml });
  const outcome = await clock.run(job.done);
  const steps = await store.getSteps(job.jobId);
  const snapshots = cluster.oplog.entries({ actions: ['snapshot'] }).map((e) => e.node);
  await engine.close();
  await cluster.stop();
  console.log(JSON.stringify({ state: outcome.state, result: steps[0]?.result, snapshots }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
`;

/** The ops repository's tsconfig.json for ts-node (CommonJS, as \`npm init -y\` makes the package). */
export const OPS_TSCONFIG = `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "commonjs",
    "moduleResolution": "node10",
    "strict": true,
    "esModuleInterop": true,
    "skipLibCheck": true,
    "types": ["node"]
  }
}
`;

/**
 * The ops repository, in another empty folder. `&` runs a command in the background (the
 * simulated cluster, until the end); `<job-id>` is the job `scylla-cp jobs` lists.
 */
export const OPS_COMMANDS = [
  'npm init -y',
  `npm i -D @scylla-cp/cli ${PLUGIN_NAME}`,
  `echo '{ "plugins": ["${PLUGIN_NAME}"] }' > scylla-cp.config.json`,
  `npx scylla-cp validate ${WORKFLOW_FILE}`,
  'npx scylla-cp sim start --zones 3 --nodes-per-zone 1 --speed 20 &',
  `npx scylla-cp run ${WORKFLOW_FILE} --inventory sim-inventory.yaml --db jobs.db --yes`,
  'npx scylla-cp jobs --db jobs.db --json',
  'npx scylla-cp status <job-id> --db jobs.db --json',
  'npm i -D @scylla-cp/core @scylla-cp/sim @scylla-cp/tasks-scylla ts-node typescript@~5.9.3 @types/node@^20.19.0',
  `npx ts-node ${SCRIPT_FILE}`,
] as const;

/**
 * Installing the CLI globally instead, then using it in the ops repository: the global CLI loads
 * the plugin from the repository's node_modules (another copy of core than its own).
 */
export const GLOBAL_COMMANDS = ['npm i -g @scylla-cp/cli', 'scylla-cp --version', `scylla-cp validate ${WORKFLOW_FILE}`] as const;

/** Splits a command line of the journey into argv (single-quoted segments kept whole). */
export function argvOf(command: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|(\S+)/g;
  for (let m = re.exec(command); m; m = re.exec(command)) out.push(m[1] ?? m[2]!);
  return out;
}

/** The README block: every command of the journey, in order, as a user types them. */
export function readmeShellBlock(): string {
  return [
    '# 1. a plugin package: scaffold, install, build, test, publish',
    ...AUTHOR_COMMANDS,
    '',
    `# 2. an ops repository (another folder) with ${WORKFLOW_FILE} and ${SCRIPT_FILE} below`,
    ...OPS_COMMANDS,
    '',
    '# or install the CLI globally (then `scylla-cp` works in the ops repository too)',
    ...GLOBAL_COMMANDS,
  ].join('\n');
}
