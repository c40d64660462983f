import { RecoverableError, UnrecoverableError, type ConditionCheck, type ExecuteNodeTask, type NodeExecutionContext } from '@scylla-cp/core';
import { nodeShell, type ShellResult } from '../shell/node-shell.js';
import { privileged } from '../shell/node-shell-provider.js';

/** The systemctl verbs the systemd tasks run. */
export type SystemctlVerb = 'start' | 'stop' | 'restart' | 'is-active';

/** Seconds a `systemctl start|stop|restart` may take before the shell kills it. @default 900 (scylla-server's TimeoutStopSec) */
export const DEFAULT_SYSTEMCTL_TIMEOUT_SECONDS = 900;

const UNIT = /^[A-Za-z0-9:_.@\\-]+$/;

/** Checks a systemd unit name (letters, digits, `:_.@\-`); throws `TypeError` otherwise. */
export function checkUnitName(service: string): string {
  if (!UNIT.test(service) || service.startsWith('-')) throw new TypeError(`invalid systemd unit name ${JSON.stringify(service)}`);
  return service;
}

/** Runs `[sudo -n] systemctl <verb> <unit>` on the context's node. */
export async function systemctl(ctx: NodeExecutionContext, verb: SystemctlVerb, unit: string, timeoutSeconds?: number): Promise<ShellResult> {
  return nodeShell(ctx).run(privileged(ctx, ['systemctl', verb, checkUnitName(unit)]), {
    timeoutSeconds: timeoutSeconds ?? (verb === 'is-active' ? 60 : DEFAULT_SYSTEMCTL_TIMEOUT_SECONDS),
    maxOutputBytes: 64 * 1024,
    signal: ctx.signal,
  });
}

/** `systemctl is-active <unit>`: the state word it prints (`active`, `inactive`, `failed`, ...). */
export async function unitState(ctx: NodeExecutionContext, unit: string): Promise<string> {
  const r = await systemctl(ctx, 'is-active', unit);
  return r.stdout.trim().split('\n').pop()?.trim() || `unknown (exit ${r.exitCode}${r.stderr ? `: ${r.stderr.trim()}` : ''})`;
}

function failure(ctx: NodeExecutionContext, verb: string, unit: string, r: ShellResult): UnrecoverableError {
  const hint =
    r.exitCode === 5
      ? ' (no such unit: check the service name)'
      : /password is required|not in the sudoers|not allowed to execute/.test(r.stderr)
        ? ' (sudo refused: allow passwordless sudo for systemctl, or set connection.ssh.sudo)'
        : /Access denied|Interactive authentication required/.test(r.stderr)
          ? ' (permission denied: set connection.ssh.sudo: true or connect as root)'
          : '';
  return new UnrecoverableError(`${ctx.node.id}: systemctl ${verb} ${unit} failed with exit ${r.exitCode}: ${r.stderr.trim().slice(-500)}${hint}`, {
    code: 'SYSTEMCTL_FAILED',
    details: { node: ctx.node.id, unit, verb, exitCode: r.exitCode, stderr: r.stderr.slice(-2000) },
  });
}

/** Parameters of a {@link SystemdServiceTask}. */
export interface SystemdServiceTaskOptions {
  /** The YAML tag (task name). */
  tag: string;
  verb: 'start' | 'stop' | 'restart';
  /** Unit name, e.g. `scylla-server`. */
  service: string;
  /** Seconds before the command is killed. @default 900 */
  timeoutSeconds?: number;
  /** Preconditions checked before every attempt. @default [] */
  preconditions?: ConditionCheck[];
}

/**
 * `systemctl start|stop|restart <service>` on the node, then `systemctl is-active` to verify
 * (start/restart: `active`; stop: anything but `active`, `activating`, `deactivating`,
 * `reloading`).
 *
 * Idempotency: systemd's `start` of an active unit and `stop` of an inactive one do nothing, so
 * running the task twice equals running it once. `restart` restarts again when run twice; the
 * end state (service active, freshly started) is the same.
 *
 * Errors: a non-zero exit of start/stop/restart (no such unit: exit 5; sudo or polkit refusal;
 * a failed start) → `UnrecoverableError` code `SYSTEMCTL_FAILED`; the unit not in the expected
 * state afterwards → `RecoverableError` code `SYSTEMD_STATE_MISMATCH`; ssh failures and
 * timeouts → `RecoverableError` (`SHELL_CONNECTION_FAILED`, `SHELL_TIMEOUT`).
 * Note: for `Type=notify` scylla-server, `start` returns at "starting storage service", before
 * the node is UN; follow it with `!wait-for-conditions [node-up-normal]`.
 */
export class SystemdServiceTask implements ExecuteNodeTask {
  constructor(readonly options: SystemdServiceTaskOptions) {
    checkUnitName(options.service);
  }
  name(): string {
    return this.options.tag;
  }
  preconditions(): ConditionCheck[] {
    return this.options.preconditions ?? [];
  }
  async execute(ctx: NodeExecutionContext): Promise<{ service: string; state: string }> {
    const { verb, service } = this.options;
    const r = await systemctl(ctx, verb, service, this.options.timeoutSeconds);
    if (r.exitCode !== 0) throw failure(ctx, verb, service, r);
    const state = await unitState(ctx, service);
    const ok = verb === 'stop' ? !['active', 'activating', 'deactivating', 'reloading'].includes(state) : state === 'active';
    if (!ok) {
      throw new RecoverableError(`${ctx.node.id}: after systemctl ${verb} ${service}, the unit is ${state}`, {
        code: 'SYSTEMD_STATE_MISMATCH',
        details: { node: ctx.node.id, service, verb, state },
      });
    }
    ctx.logger.info(`${ctx.node.id}: systemctl ${verb} ${service} → ${state}`);
    return { service, state };
  }
}
