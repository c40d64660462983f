import { RecoverableError, UnrecoverableError, type ConditionCheck, type ExecuteNodeTask, type NodeExecutionContext } from '@scylla-cp/core';
import { nodeShell, type ShellResult } from '../shell/node-shell.js';
import { privileged } from '../shell/node-shell-provider.js';
import { applyYamlSettings, YamlSettingsError, yamlHasSettings } from './yaml-settings.js';

/** Where scylla.yaml lives on a package install. */
export const DEFAULT_SCYLLA_CONFIG_PATH = '/etc/scylla/scylla.yaml';
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** Parameters of {@link ScyllaConfigSet}. */
export interface ScyllaConfigSetOptions {
  /** Keys (top-level, or dotted paths into mappings) and the values to set. */
  settings: Record<string, unknown>;
  /** @default '/etc/scylla/scylla.yaml' */
  configPath?: string;
  /** Seconds each shell command may take. @default 60 */
  commandTimeoutSeconds?: number;
}

/** What {@link ScyllaConfigSet} did. */
export interface ScyllaConfigSetResult {
  /** Keys that were changed (empty: everything was already set, nothing written). */
  changed: string[];
  /** The backup of the previous file, when something was written. */
  backupPath?: string;
}

/** The backup path for a job: `<path>.scylla-cp-<job id, sanitized>.bak`. */
export function configBackupPath(path: string, jobId: string): string {
  return `${path}.scylla-cp-${jobId.replace(/[^A-Za-z0-9._-]/g, '_')}.bak`;
}

/**
 * `scylla-config-set {settings, config_path?}`: sets keys of scylla.yaml on the node through
 * the node shell (commands: see `src/shell/README-commands.md`). Scylla reads the file at
 * start: follow with a restart to apply.
 *
 * How: `cat` the file; set the keys with the yaml Document API (comments, order and other
 * values kept); if nothing differs, stop (no write, no backup). Otherwise back the file up
 * (`cp -p` to `<path>.scylla-cp-<job>.bak`), `cp -p` it to `<path>.scylla-cp.tmp` (mode and
 * owner kept), write the new text into the temp file with `tee`, read it back and compare,
 * `sync`, `mv -f` the temp file over the original (an atomic rename), `sync`.
 *
 * Idempotency: a rerun after success finds every key set and does nothing; a rerun after an
 * interruption before the `mv` finds the original file unchanged and redoes every step (the
 * backup of this job is rewritten with the same original content); the file is never seen
 * half-written, because only a rename replaces it.
 *
 * No preconditions. Errors: the file missing or unreadable, not YAML or not a mapping, larger
 * than 4 MiB, a key whose parent is not a mapping, or a failing `cp`/`tee`/`mv` (permissions)
 * → `UnrecoverableError` (codes `CONFIG_READ_FAILED`, `CONFIG_INVALID`, `CONFIG_WRITE_FAILED`);
 * the read-back differing from what was written → `RecoverableError` `CONFIG_VERIFY_FAILED`;
 * ssh failures and timeouts → recoverable.
 */
export class ScyllaConfigSet implements ExecuteNodeTask {
  readonly path: string;
  constructor(readonly options: ScyllaConfigSetOptions) {
    this.path = options.configPath ?? DEFAULT_SCYLLA_CONFIG_PATH;
    if (!this.path.startsWith('/')) throw new UnrecoverableError(`config_path must be absolute, got ${JSON.stringify(this.path)}`, { code: 'CONFIG_INVALID' });
    if (Object.keys(options.settings).length === 0) throw new UnrecoverableError('settings must name at least one key', { code: 'CONFIG_INVALID' });
  }
  name(): string {
    return 'scylla-config-set';
  }
  preconditions(): ConditionCheck[] {
    return [];
  }

  async execute(ctx: NodeExecutionContext): Promise<ScyllaConfigSetResult> {
    const shell = nodeShell(ctx);
    const timeoutSeconds = this.options.commandTimeoutSeconds ?? 60;
    const run = (argv: string[], stdin?: string, maxOutputBytes = 64 * 1024): Promise<ShellResult> =>
      shell.run(privileged(ctx, argv), { timeoutSeconds, maxOutputBytes, signal: ctx.signal, ...(stdin !== undefined ? { stdin } : {}) });
    const must = async (code: string, argv: string[], stdin?: string, maxOutputBytes?: number): Promise<ShellResult> => {
      const r = await run(argv, stdin, maxOutputBytes);
      if (r.exitCode !== 0) {
        throw new UnrecoverableError(`${ctx.node.id}: ${argv.join(' ')} failed with exit ${r.exitCode}: ${r.stderr.trim().slice(-500)}`, {
          code,
          details: { node: ctx.node.id, argv, exitCode: r.exitCode, stderr: r.stderr.slice(-2000) },
        });
      }
      return r;
    };
    const read = async (path: string): Promise<string> => {
      const r = await must('CONFIG_READ_FAILED', ['cat', path], undefined, MAX_CONFIG_BYTES);
      if (r.truncated) throw new UnrecoverableError(`${ctx.node.id}: ${path} is larger than ${MAX_CONFIG_BYTES} bytes`, { code: 'CONFIG_INVALID' });
      return r.stdout;
    };

    const current = await read(this.path);
    let next: { text: string; changed: string[] };
    try {
      next = applyYamlSettings(current, this.options.settings);
    } catch (e) {
      if (e instanceof YamlSettingsError) throw new UnrecoverableError(`${ctx.node.id}: ${this.path}: ${e.message}`, { code: 'CONFIG_INVALID', cause: e });
      throw e;
    }
    if (next.changed.length === 0) {
      ctx.logger.info(`${ctx.node.id}: ${this.path} already has ${Object.keys(this.options.settings).join(', ')}`);
      return { changed: [] };
    }
    const backupPath = configBackupPath(this.path, ctx.job.id);
    const tmp = `${this.path}.scylla-cp.tmp`;
    await must('CONFIG_WRITE_FAILED', ['cp', '-p', this.path, backupPath]);
    await must('CONFIG_WRITE_FAILED', ['cp', '-p', this.path, tmp]);
    await must('CONFIG_WRITE_FAILED', ['tee', tmp], next.text, 1024);
    const written = await read(tmp);
    if (written !== next.text || !yamlHasSettings(written, this.options.settings)) {
      throw new RecoverableError(`${ctx.node.id}: ${tmp} does not hold what was written to it; the original is untouched`, {
        code: 'CONFIG_VERIFY_FAILED',
      });
    }
    await must('CONFIG_WRITE_FAILED', ['sync']);
    await must('CONFIG_WRITE_FAILED', ['mv', '-f', tmp, this.path]);
    await must('CONFIG_WRITE_FAILED', ['sync']);
    ctx.logger.info(`${ctx.node.id}: set ${next.changed.join(', ')} in ${this.path} (backup ${backupPath})`);
    return { changed: next.changed, backupPath };
  }
}
