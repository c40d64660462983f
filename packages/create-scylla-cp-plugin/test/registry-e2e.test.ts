// The path a user takes, end to end, through a real npm registry (Verdaccio) on 127.0.0.1:
// publish every package of this repository, scaffold + build + test + publish a plugin from it,
// then install the CLI and the plugin in an ops repository and run a workflow that uses the
// plugin against a simulated cluster. Nothing but 127.0.0.1 is contacted: the registry has no
// uplink; the third-party packages it serves are this repository's lockfile versions, taken from
// npm's cache (where `npm ci` put them) or packed from node_modules; better-sqlite3's compiled
// addon is served from node_modules as a prebuilt-binary mirror. npm is pointed at all of it only
// through .npmrc files in the temporary folders; nothing outside them is written.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { publishThirdParty, serveBetterSqlitePrebuild, startVerdaccio, type LocalRegistry } from './support/local-registry.js';
import { cleanEnv, run, startBackground, type CommandResult } from './support/run-command.js';
import {
  AUTHOR_COMMANDS,
  GLOBAL_COMMANDS,
  OPS_COMMANDS,
  OPS_TSCONFIG,
  PLUGIN_NAME,
  SCRIPT_FILE,
  SCRIPT_TS,
  WORKFLOW_FILE,
  WORKFLOW_YAML,
  argvOf,
} from './support/user-journey.js';

const REPO = path.resolve(__dirname, '../../..');
const MINUTE = 60_000;

interface Published {
  name: string;
  version: string;
  manifest: Record<string, unknown>;
  files: string[];
}

let tmp: string;
let registry: LocalRegistry;
let prebuild: Awaited<ReturnType<typeof serveBetterSqlitePrebuild>>;
let env: NodeJS.ProcessEnv;
const background: ReturnType<typeof startBackground>[] = [];
const ours: Published[] = [];
const transcript: string[] = [];

/** Our publishable packages: every packages/* folder with a package.json that is not private. */
function ourPackages(): string[] {
  return fs
    .readdirSync(path.join(REPO, 'packages'))
    .filter((d) => fs.existsSync(path.join(REPO, 'packages', d, 'package.json')))
    .filter((d) => !JSON.parse(fs.readFileSync(path.join(REPO, 'packages', d, 'package.json'), 'utf8')).private)
    .sort();
}

async function sh(command: string, cwd: string, o: { timeoutMs?: number; extraEnv?: Record<string, string> } = {}): Promise<CommandResult> {
  transcript.push(`[${path.relative(tmp, cwd) || '.'}] $ ${command}`);
  const r = await run(argvOf(command), { cwd, env: { ...env, ...o.extraEnv }, timeoutMs: o.timeoutMs ?? 6 * MINUTE });
  return { ...r, stdout: stripAnsi(r.stdout), stderr: stripAnsi(r.stderr) };
}

// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string): string => s.replace(/\u001b\[[0-9;]*m/g, '');

function writeNpmrc(dir: string): void {
  fs.copyFileSync(path.join(tmp, 'npmrc'), path.join(dir, '.npmrc'));
}

beforeAll(async () => {
  for (const d of ourPackages()) {
    if (!fs.existsSync(path.join(REPO, 'packages', d, 'dist/index.d.ts'))) {
      throw new Error(`packages/${d} is not built (dist/index.d.ts missing): run \`npm run build\` first (\`npm test\` does)`);
    }
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scylla-cp-registry-e2e-'));
  // 1. Verdaccio on 127.0.0.1, temporary storage and config, no uplinks
  registry = await startVerdaccio(REPO, path.join(tmp, 'registry'));
  prebuild = await serveBetterSqlitePrebuild(REPO, path.join(tmp, 'prebuild'));
  const host = new URL(registry.url).host;
  fs.writeFileSync(
    path.join(tmp, 'npmrc'),
    [
      `registry=${registry.url}/`,
      `//${host}/:_authToken=${registry.token}`,
      `cache=${path.join(tmp, 'npm-cache')}`,
      `prefix=${path.join(tmp, 'global')}`,
      'audit=false',
      'fund=false',
      'update-notifier=false',
      `better_sqlite3_binary_host=${prebuild.url}`,
      '',
    ].join('\n'),
  );
  fs.writeFileSync(path.join(tmp, 'global-npmrc'), '');
  // Only npm's own config, and only in the temporary folder: the user config is the temporary
  // .npmrc (so ~/.npmrc cannot add another registry), the global one is empty.
  env = cleanEnv({
    npm_config_userconfig: path.join(tmp, 'npmrc'),
    npm_config_globalconfig: path.join(tmp, 'global-npmrc'),
    NO_COLOR: '1',
    PATH: `${path.join(tmp, 'global/bin')}${path.delimiter}${process.env.PATH ?? ''}`,
  });

  // 2. pack and publish every package of this repository
  const packDir = path.join(tmp, 'packs');
  fs.mkdirSync(packDir);
  const packed = await run(['npm', 'pack', ...ourPackages().flatMap((d) => ['-w', `packages/${d}`]), '--pack-destination', packDir, '--json'], {
    cwd: REPO,
    env,
    timeoutMs: 3 * MINUTE,
  });
  const packs = JSON.parse(packed.stdout) as { name: string; version: string; filename: string; files: { path: string }[] }[];
  const thirdPartyRoots = new Set<string>(['ts-node', 'typescript', '@types/node']);
  for (const p of packs) {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'packages', ourPackages().find((d) => JSON.parse(fs.readFileSync(path.join(REPO, 'packages', d, 'package.json'), 'utf8')).name === p.name)!, 'package.json'), 'utf8'));
    ours.push({ name: p.name, version: p.version, manifest, files: p.files.map((f) => f.path) });
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) thirdPartyRoots.add(dep);
  }
  const template = JSON.parse(fs.readFileSync(path.join(REPO, 'examples/plugin-example/package.json'), 'utf8'));
  for (const dep of Object.keys({ ...template.dependencies, ...template.devDependencies })) thirdPartyRoots.add(dep);
  const third = await publishThirdParty(registry, REPO, thirdPartyRoots, path.join(tmp, 'third-party-packs'));
  transcript.push(`third-party tarballs published from the lockfile: ${third.published} (other platforms' packages left out: ${third.skipped.length})`);
  for (const p of packs) await sh(`npm publish ${path.join(packDir, p.filename)}`, tmp, { timeoutMs: 2 * MINUTE });
}, 20 * MINUTE);

afterAll(async () => {
  for (const b of background) b.kill();
  await registry?.stop();
  await prebuild?.close();
  if (tmp && !process.env.KEEP_E2E_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  else if (tmp) console.log(`kept ${tmp}`);
});

describe('tasks as npm plugins, through a registry on 127.0.0.1', () => {
  it('publishes every package with dist, types, README and LICENSE only, and real version ranges', async () => {
    expect(ours.map((p) => p.name)).toEqual(expect.arrayContaining(['@scylla-cp/core', '@scylla-cp/cli', '@scylla-cp/testing', 'create-scylla-cp-plugin']));
    for (const p of ours) {
      const res = await fetch(`${registry.url}/${p.name.replace('/', '%2f')}`);
      expect(res.status, p.name).toBe(200);
      const doc = (await res.json()) as { versions: Record<string, { dependencies?: Record<string, string>; peerDependencies?: Record<string, string> }> };
      const published = doc.versions[p.version]!;
      for (const [dep, range] of Object.entries({ ...published.dependencies, ...published.peerDependencies })) {
        if (dep.startsWith('@scylla-cp/')) expect(range, `${p.name} -> ${dep}`).toMatch(/^\^\d+\.\d+\.\d+$/);
      }
      for (const f of p.files) expect(f, `${p.name} ships ${f}`).toMatch(/^(dist\/.+|README\.md|LICENSE|package\.json|bin\/[^/]+\.js)$/);
      expect(p.files, p.name).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']));
    }
  });

  it(
    'scaffolds a plugin from the registry, installs, builds, tests and publishes it; an ops repository runs it with the CLI and with a ts-node script',
    async () => {
      // 3. the plugin author
      const authorDir = path.join(tmp, 'author');
      fs.mkdirSync(authorDir);
      writeNpmrc(authorDir);
      let cwd = authorDir;
      const outputs: Record<string, CommandResult> = {};
      for (const command of AUTHOR_COMMANDS) {
        if (command.startsWith('cd ')) {
          cwd = path.join(cwd, command.slice(3));
          continue;
        }
        outputs[command] = await sh(command, cwd, { timeoutMs: 8 * MINUTE });
      }
      const pluginDir = cwd;
      expect(JSON.parse(fs.readFileSync(path.join(pluginDir, 'package.json'), 'utf8')).name).toBe(PLUGIN_NAME);
      expect(fs.readFileSync(path.join(pluginDir, 'node_modules/typescript/package.json'), 'utf8')).toMatch(/"version": "5\./);
      expect(outputs['npm test']!.stdout).toMatch(/Tests\s+\d+ passed/);
      expect(outputs['npm test']!.stdout).not.toMatch(/failed|skipped/);
      const pluginDoc = (await (await fetch(`${registry.url}/${PLUGIN_NAME}`)).json()) as { versions: Record<string, { peerDependencies?: Record<string, string> }> };
      expect(pluginDoc.versions['0.1.0']?.peerDependencies?.['@scylla-cp/core']).toBe('^0.1.0');

      // 4. the ops repository
      const opsDir = path.join(tmp, 'ops');
      fs.mkdirSync(opsDir);
      writeNpmrc(opsDir);
      fs.writeFileSync(path.join(opsDir, WORKFLOW_FILE), WORKFLOW_YAML);
      fs.writeFileSync(path.join(opsDir, SCRIPT_FILE), SCRIPT_TS);
      fs.writeFileSync(path.join(opsDir, 'tsconfig.json'), OPS_TSCONFIG);
      let jobId = '';
      let simOutput = () => '';
      for (const command of OPS_COMMANDS) {
        if (command.startsWith('echo ')) {
          const [, content, file] = /^echo '(.*)' > (\S+)$/.exec(command)!;
          transcript.push(`[ops] $ ${command}`);
          fs.writeFileSync(path.join(opsDir, file!), `${content}\n`);
          continue;
        }
        if (command.endsWith(' &')) {
          transcript.push(`[ops] $ ${command}`);
          const bg = startBackground(argvOf(command.slice(0, -2)), { cwd: opsDir, env });
          background.push(bg);
          simOutput = bg.output;
          const deadline = Date.now() + 2 * MINUTE;
          while (!/inventory written to/.test(bg.output())) {
            if (bg.child.exitCode !== null || Date.now() > deadline) throw new Error(`the simulated cluster did not start:\n${bg.output()}`);
            await new Promise((r) => setTimeout(r, 200));
          }
          continue;
        }
        const result = await sh(command.replace('<job-id>', jobId), opsDir, { timeoutMs: 8 * MINUTE });
        outputs[command] = result;
        if (command.startsWith('npx scylla-cp jobs')) {
          const jobs = JSON.parse(result.stdout) as { id?: string; jobId?: string; state: string }[];
          expect(jobs).toHaveLength(1);
          jobId = jobs[0]!.id ?? jobs[0]!.jobId!;
          expect(jobs[0]!.state).toBe('succeeded');
        }
      }
      // the plugin was installed from the registry as a package of its own, sharing the CLI's core
      expect(fs.existsSync(path.join(opsDir, 'node_modules', PLUGIN_NAME, 'dist/index.js'))).toBe(true);
      expect(fs.existsSync(path.join(opsDir, 'node_modules', PLUGIN_NAME, 'node_modules/@scylla-cp/core'))).toBe(false);
      expect(fs.existsSync(path.join(opsDir, 'node_modules/@scylla-cp/cli/node_modules/@scylla-cp/core'))).toBe(false);

      // 5. the job's stored result ...
      const status = JSON.parse(outputs['npx scylla-cp status <job-id> --db jobs.db --json']!.stdout) as Record<string, unknown>;
      const statusText = JSON.stringify(status);
      expect(statusText).toContain(jobId);
      const steps = findSteps(status);
      const snapshotStep = steps.find((s) => s.task === 'snapshot-everywhere' || s.stepId === 's0');
      expect(snapshotStep?.state).toBe('succeeded');
      expect(snapshotStep?.result).toMatchObject({ alreadyThere: [] });
      const nodes = (snapshotStep!.result as { taken: string[] }).taken;
      expect(nodes).toHaveLength(3);
      const bannerSteps = steps.filter((s) => s.task === 'maintenance-banner' || (s.result as { changed?: boolean } | undefined)?.changed === true);
      expect(bannerSteps.map((s) => s.nodeId).sort()).toEqual([...nodes].sort());
      expect(steps.every((s) => s.state === 'succeeded'), statusText.slice(0, 2000)).toBe(true);

      // ... and the simulator's operation log (over its control API)
      const inventory = parseYaml(fs.readFileSync(path.join(opsDir, 'sim-inventory.yaml'), 'utf8')) as { nodes: { id: string; connection: { shell: { url: string } } }[] };
      const controlUrl = new Map(inventory.nodes.map((n) => [n.id, n.connection.shell.url]));
      expect([...controlUrl.keys()].sort()).toEqual([...nodes].sort());
      const oplog = (await (await fetch(`${controlUrl.get(nodes[0]!)}/_sim/oplog`)).json()) as { node: string; action: string; atMs: number }[];
      const snapshots = oplog.filter((e) => e.action === 'snapshot');
      expect(snapshots.map((e) => e.node)).toEqual(nodes);
      const restarts = oplog.filter((e) => e.action === 'systemctl-restart');
      expect(restarts.map((e) => e.node).sort()).toEqual([...nodes].sort());
      // every snapshot before the first restart; one node restarting at a time, 30 s apart at least
      expect(Math.max(...snapshots.map((e) => e.atMs))).toBeLessThanOrEqual(restarts[0]!.atMs);
      for (let i = 1; i < restarts.length; i++) expect(restarts[i]!.atMs - restarts[i - 1]!.atMs).toBeGreaterThanOrEqual(30_000);
      for (const node of nodes) {
        const motd = await fetch(`${controlUrl.get(node)}/_sim/shell`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ argv: ['cat', '/etc/motd'] }) });
        expect(((await motd.json()) as { stdout: string }).stdout).toBe('rolling restart by scylla-cp\n');
      }

      // the ts-node script ran the engine itself, with the plugin from the registry
      const script = JSON.parse(outputs[`npx ts-node ${SCRIPT_FILE}`]!.stdout.trim().split('\n').at(-1)!) as { state: string; result: { taken: string[] }; snapshots: string[] };
      expect(script.state).toBe('succeeded');
      expect(script.result.taken).toEqual(script.snapshots);
      expect(script.snapshots.length).toBeGreaterThan(0);

      // the simulated cluster stops on Ctrl-C (SIGINT) as documented
      const sim = background[0]!;
      const exited = new Promise<void>((resolve) => (sim.child.exitCode !== null ? resolve() : sim.child.once('exit', () => resolve())));
      sim.interrupt();
      await exited;
      expect(simOutput()).toMatch(/simulated cluster stopped/);

      // 6. the global install puts scylla-cp on PATH; in the ops repository it loads the plugin
      // from the repository's node_modules, with a copy of core other than the CLI's own
      for (const command of GLOBAL_COMMANDS) outputs[command] = await sh(command, opsDir, { timeoutMs: 8 * MINUTE });
      expect(outputs['scylla-cp --version']!.stdout.trim()).toBe(ours.find((p) => p.name === '@scylla-cp/cli')!.version);
      expect(fs.realpathSync(path.join(tmp, 'global/bin/scylla-cp'))).toContain(path.join(tmp, 'global/lib/node_modules/@scylla-cp/cli'));
      expect(fs.existsSync(path.join(tmp, 'global/lib/node_modules/@scylla-cp/cli/node_modules/@scylla-cp/core/package.json'))).toBe(true);
      expect(outputs[`scylla-cp validate ${WORKFLOW_FILE}`]!.code).toBe(0);

      // better-sqlite3 came from the local prebuilt mirror (no compiler, no download elsewhere)
      expect(prebuild.requests.length).toBeGreaterThan(0);
      expect(prebuild.requests.every((u) => u.endsWith(`-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`))).toBe(true);
    },
    40 * MINUTE,
  );
});

interface StepLike {
  stepId?: string;
  nodeId?: string;
  task?: string;
  state?: string;
  result?: unknown;
}

/** Step records in `scylla-cp status --json` output, wherever the report nests them. */
function findSteps(value: unknown): StepLike[] {
  const out: StepLike[] = [];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.stepId === 'string' && typeof o.state === 'string') out.push(o as StepLike);
      else Object.values(o).forEach(visit);
    }
  };
  visit(value);
  return out;
}
