import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classifyError, RecoverableError, type ServiceProvider } from '@scylla-cp/core';
import { NodeShellService, RunCommandTask, runCommandParams, scyllaPlugin, type NodeShell } from '../src/index.js';
import { FakeShell } from './fake-shell.js';
import { nodeContext, stubNode } from './stub-scylla.js';

let shell: FakeShell;
let env: ReturnType<typeof nodeContext>;

beforeEach(() => {
  shell = new FakeShell();
  const node = stubNode('n1', 1, '127.0.0.1');
  const provider: ServiceProvider<NodeShell> = { key: NodeShellService, create: () => shell };
  env = nodeContext({ name: 'c', nodes: [node], connection: {} }, node, { providers: [provider] });
});
afterEach(async () => {
  await env.dispose();
});

const task = (p: unknown) => new RunCommandTask(runCommandParams.parse(p));

describe('run-command', () => {
  it('is registered by scyllaPlugin with a strict schema', () => {
    expect(scyllaPlugin.nodeTasks?.['run-command']).toBeDefined();
    expect(runCommandParams.safeParse({ argv: [] }).success).toBe(false);
    expect(runCommandParams.safeParse({ argv: ['true'], bogus: 1 }).success).toBe(false);
  });

  it('passes argv through unchanged and succeeds on an accepted exit code', async () => {
    shell.files.set('/etc/os-release', 'ID=debian\n');
    const r = await task({ argv: ['cat', '/etc/os-release'] }).execute(env.ctx);
    expect(r).toEqual({ exitCode: 0, stdoutTail: 'ID=debian\n' });
    expect(shell.log).toEqual([['cat', '/etc/os-release']]);
  });

  it('fails unrecoverably, with stderr, on any other exit code', async () => {
    const err = await task({ argv: ['apt-get', 'dist-upgrade'] }).execute(env.ctx).catch((e) => e);
    expect(classifyError(err)).toBe('unrecoverable');
    expect(err.message).toMatch(/exited 127; stderr: apt-get: command not found/);
    // but a listed code is success
    await expect(task({ argv: ['cat', '/nope'], ok_exit_codes: [0, 1] }).execute(env.ctx)).resolves.toMatchObject({ exitCode: 1 });
  });

  it('treats a dropped connection as success only when expect_disconnect is set', async () => {
    shell.override = () => ({ exitCode: 255, stdout: '', stderr: 'Connection closed by remote host', truncated: false });
    await expect(task({ argv: ['systemctl', 'reboot'], expect_disconnect: true }).execute(env.ctx)).resolves.toMatchObject({ exitCode: 255 });
    await expect(task({ argv: ['systemctl', 'reboot'] }).execute(env.ctx)).rejects.toThrow(/exited 255/);
    shell.override = () => new RecoverableError('ssh: connection reset', { code: 'SHELL_CONNECTION_FAILED' });
    await expect(task({ argv: ['systemctl', 'reboot'], expect_disconnect: true }).execute(env.ctx)).resolves.toMatchObject({ exitCode: null });
    const err = await task({ argv: ['true'] }).execute(env.ctx).catch((e) => e);
    expect(classifyError(err)).toBe('recoverable');
  });
});
