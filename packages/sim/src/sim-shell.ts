import { RecoverableError } from '@scylla-cp/core';
import type { NodeShell, ShellResult, ShellRunOptions } from '@scylla-cp/tasks-scylla';
import { SCYLLA_UNIT } from './node-provisioning.js';
import type { SimClusterControl } from './sim-cluster-view.js';
import type { SimNode } from './sim-node.js';
import { onAbort } from './util.js';

const te = new TextDecoder();

function result(exitCode: number, stdout = '', stderr = ''): ShellResult {
  return { exitCode, stdout, stderr, truncated: false };
}

function unitName(u: string): string {
  return u.endsWith('.service') ? u.slice(0, -'.service'.length) : u;
}

/**
 * Runs a command against a simulated node, interpreting the command vocabulary of
 * `@scylla-cp/tasks-scylla` (see its `shell/README-commands.md`): `systemctl
 * is-active|start|stop|restart <unit>`, `cat`, `cp -p`, `tee` (stdin), `mv -f`, `sync`,
 * `test -e|-f`, optionally prefixed by `sudo -n`. Files live in the node's virtual filesystem
 * (holding `/etc/scylla/scylla.yaml`); writes under `/etc/scylla/` are logged as `config-write`.
 * Unknown commands exit 127 (`bash: <cmd>: command not found`). A powered-off host throws
 * `RecoverableError` (code `SHELL_UNREACHABLE`), like an ssh connection failure.
 */
export async function runSimCommand(cluster: SimClusterControl, node: SimNode, argv: readonly string[], stdin?: string | Uint8Array): Promise<ShellResult> {
  cluster.sync();
  if (!node.hostUp) {
    throw new RecoverableError(`ssh: connect to host ${node.address} port 22: No route to host (simulated host ${node.id} is powered off)`, {
      code: 'SHELL_UNREACHABLE',
      details: { node: node.id },
    });
  }
  let args = [...argv];
  if (args[0] === 'sudo') {
    args = args.slice(1);
    while (args[0]?.startsWith('-')) args = args.slice(1);
  }
  const [cmd, ...rest] = args;
  if (cmd === undefined) return result(0);
  const now = cluster.clock.now();
  const files = node.files;
  const writeFile = (path: string, content: string, base?: { mode: number; owner: string }) => {
    const old = files.get(path);
    files.set(path, { content, mode: base?.mode ?? old?.mode ?? 0o644, owner: base?.owner ?? old?.owner ?? 'root:root', mtimeMs: now });
    if (path.startsWith('/etc/scylla/')) cluster.log(node, 'shell', 'config-write', { path, bytes: Buffer.byteLength(content) });
  };
  switch (cmd) {
    case 'systemctl':
      return systemctl(cluster, node, rest);
    case 'cat': {
      let out = '';
      for (const p of rest) {
        const f = files.get(p);
        if (!f) return result(1, out, `cat: ${p}: No such file or directory\n`);
        out += f.content;
      }
      return result(0, out);
    }
    case 'cp': {
      const operands = rest.filter((a) => !a.startsWith('-'));
      if (operands.length !== 2) return result(1, '', `cp: missing destination file operand\n`);
      const [src, dst] = operands as [string, string];
      const f = files.get(src);
      if (!f) return result(1, '', `cp: cannot stat '${src}': No such file or directory\n`);
      const keep = rest.includes('-p');
      files.set(dst, { content: f.content, mode: f.mode, owner: keep ? f.owner : 'root:root', mtimeMs: keep ? f.mtimeMs : now });
      if (dst.startsWith('/etc/scylla/')) cluster.log(node, 'shell', 'config-write', { path: dst, bytes: Buffer.byteLength(f.content), copyOf: src });
      return result(0);
    }
    case 'tee': {
      const operands = rest.filter((a) => !a.startsWith('-'));
      const text = stdin === undefined ? '' : typeof stdin === 'string' ? stdin : te.decode(stdin);
      for (const p of operands) {
        if (!parentExists(files, p)) return result(1, text, `tee: ${p}: No such file or directory\n`);
        writeFile(p, rest.includes('-a') ? (files.get(p)?.content ?? '') + text : text);
      }
      return result(0, text);
    }
    case 'mv': {
      const operands = rest.filter((a) => !a.startsWith('-'));
      if (operands.length !== 2) return result(1, '', `mv: missing destination file operand\n`);
      const [src, dst] = operands as [string, string];
      const f = files.get(src);
      if (!f) return result(1, '', `mv: cannot stat '${src}': No such file or directory\n`);
      files.delete(src);
      files.set(dst, { ...f });
      if (dst.startsWith('/etc/scylla/')) cluster.log(node, 'shell', 'config-write', { path: dst, bytes: Buffer.byteLength(f.content), renamedFrom: src });
      return result(0);
    }
    case 'sync':
    case 'true':
      return result(0);
    case 'test':
    case '[': {
      const a = rest.filter((x) => x !== ']');
      if (a.length === 2 && (a[0] === '-e' || a[0] === '-f')) return result(files.has(a[1]!) ? 0 : 1);
      return result(2, '', `test: unsupported expression\n`);
    }
    case 'apt-get':
    case 'apt':
    case 'dnf':
    case 'yum':
      return packageManager(cluster, node, cmd, rest);
    case 'reboot':
      cluster.reboot(node, 'shell');
      return result(255, '', `Connection to ${node.address} closed by remote host.\n`);
    default:
      return result(127, '', `bash: ${cmd}: command not found\n`);
  }
}

async function packageManager(cluster: SimClusterControl, node: SimNode, tool: string, args: string[]): Promise<ShellResult> {
  const action = args.find((a) => !a.startsWith('-') && !a.includes('='));
  if (action === 'update' && (tool === 'apt-get' || tool === 'apt')) {
    return result(0, 'Reading package lists... Done\n');
  }
  if (action === undefined || !['upgrade', 'dist-upgrade', 'full-upgrade', 'update', 'install'].includes(action)) {
    return result(100, '', `E: Invalid operation ${action ?? ''}\n`);
  }
  cluster.log(node, 'shell', 'package-upgrade', { tool, args });
  await cluster.pause(cluster.timing.packageUpgradeMs);
  return result(0, `${tool}: simulated ${action} done (0 newly installed, 0 to remove)\n`);
}

function parentExists(files: Map<string, unknown>, path: string): boolean {
  const dir = path.slice(0, path.lastIndexOf('/'));
  // Simulated hosts run node_exporter with its textfile collector (where !maintenance-marker writes).
  if (dir === '' || dir === '/etc' || dir === '/tmp' || dir === '/etc/scylla' || dir === '/var/lib/scylla' || dir === '/var/lib/node_exporter/textfile_collector') return true;
  for (const k of files.keys()) if (k.startsWith(`${dir}/`)) return true;
  return false;
}

async function systemctl(cluster: SimClusterControl, node: SimNode, args: string[]): Promise<ShellResult> {
  const positional = args.filter((a) => !a.startsWith('-'));
  const [verb, rawUnit] = positional;
  if (verb === undefined) return result(1, '', 'systemctl: missing verb\n');
  if (rawUnit === undefined && verb !== 'reboot') return result(1, '', `Too few arguments.\n`);
  const unit = unitName(rawUnit ?? '');
  const known = unit === SCYLLA_UNIT || node.otherUnits.has(unit);
  if (verb === 'reboot') {
    cluster.reboot(node, 'shell');
    return result(255, '', `Connection to ${node.address} closed by remote host.\n`);
  }
  const verbs = ['is-active', 'start', 'stop', 'restart'];
  if (!verbs.includes(verb)) return result(1, '', `Unknown command verb '${verb}'.\n`);
  if (verb === 'is-active') {
    if (!known) return result(3, 'inactive\n');
    const state = unit === SCYLLA_UNIT ? node.unit : node.otherUnits.get(unit) ? 'active' : 'inactive';
    return result(state === 'active' ? 0 : 3, `${state}\n`);
  }
  if (!known) {
    const what = verb === 'start' ? 'start' : verb === 'stop' ? 'stop' : 'restart';
    return result(5, '', `Failed to ${what} ${rawUnit}: Unit ${unit}.service not found.\n`);
  }
  if (unit !== SCYLLA_UNIT) {
    cluster.log(node, 'shell', `systemctl-${verb}`, { unit });
    node.otherUnits.set(unit, verb !== 'stop');
    return result(0);
  }
  const r =
    verb === 'start'
      ? await cluster.systemctlStart(node, 'shell')
      : verb === 'stop'
        ? await cluster.systemctlStop(node, 'shell')
        : await cluster.systemctlRestart(node, 'shell');
  return { ...r, truncated: false };
}

/** The in-process {@link NodeShell} of one simulated node. */
export class SimShell implements NodeShell {
  readonly #cluster: SimClusterControl;
  readonly #node: SimNode;

  /** @param cluster the simulated cluster @param nodeId the node's inventory id */
  constructor(cluster: SimClusterControl, nodeId: string) {
    this.#cluster = cluster;
    this.#node = cluster.node(nodeId);
  }

  /** Runs `argv` against the node (see {@link runSimCommand}). `timeoutSeconds` is measured on the cluster's clock. */
  async run(argv: readonly string[], options: ShellRunOptions = {}): Promise<ShellResult> {
    const work = runSimCommand(this.#cluster, this.#node, argv, options.stdin);
    work.catch(() => undefined); // a late failure after a timeout or abort is not unhandled
    const timeoutS = options.timeoutSeconds ?? 300;
    const ac = new AbortController();
    const abort = options.signal;
    const off = abort ? onAbort(abort, (reason) => ac.abort(reason)) : () => {};
    try {
      const timeout = this.#cluster.clock.sleep(timeoutS * 1000, ac.signal).then(
        () => {
          throw new RecoverableError(`command ${JSON.stringify(argv.join(' '))} on ${this.#node.id} timed out after ${timeoutS}s`, {
            code: 'SHELL_TIMEOUT',
            details: { node: this.#node.id },
          });
        },
        (e: unknown) => {
          if (abort?.aborted) throw e;
          return new Promise<never>(() => {});
        },
      );
      return await Promise.race([work, timeout]);
    } finally {
      ac.abort();
      off();
    }
  }
}

