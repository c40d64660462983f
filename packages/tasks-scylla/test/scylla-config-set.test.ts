import { describe, expect, it } from 'vitest';
import { classifyError, RecoverableError, UnrecoverableError, type ServiceProvider } from '@scylla-cp/core';
import { applyYamlSettings, configBackupPath, NodeShellService, ScyllaConfigSet, type NodeShell } from '../src/index.js';
import { FakeShell } from './fake-shell.js';
import { nodeContext, stubNode } from './stub-scylla.js';

const PATH = '/etc/scylla/scylla.yaml';
const ORIGINAL = `# Scylla storage config YAML

# The name of the cluster.
cluster_name: 'Test Cluster'

# Throttles compaction to the given total throughput.
compaction_throughput_mb_per_sec: 0   # unthrottled

num_tokens: 256
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "10.0.0.1"
client_encryption_options:
  enabled: false   # TLS off
`;

function setup(sudo = false) {
  const shell = new FakeShell();
  shell.files.set(PATH, ORIGINAL);
  const node = stubNode('n1', 1, '10.0.0.1', { connection: sudo ? { ssh: { sudo: true } } : {} });
  const provider: ServiceProvider<NodeShell> = { key: NodeShellService, create: () => shell };
  const { ctx, dispose } = nodeContext({ name: 'c', nodes: [node], connection: {} }, node, { providers: [provider], jobId: 'job/42' });
  return { shell, ctx, dispose };
}

describe('applyYamlSettings', () => {
  it('keeps comments and untouched values, changes only what differs', () => {
    const r = applyYamlSettings(ORIGINAL, { compaction_throughput_mb_per_sec: 64, num_tokens: 256, 'client_encryption_options.enabled': true });
    expect(r.changed).toEqual(['compaction_throughput_mb_per_sec', 'client_encryption_options.enabled']);
    expect(r.text).toContain('# The name of the cluster.');
    expect(r.text).toContain('# Throttles compaction to the given total throughput.');
    expect(r.text).toContain('# TLS off');
    expect(r.text).toContain('compaction_throughput_mb_per_sec: 64');
    expect(r.text).toContain("cluster_name: 'Test Cluster'");
    expect(r.text).toMatch(/enabled: true/);
    expect(r.text).toContain('- seeds: "10.0.0.1"');
  });

  it('returns the text unchanged when everything is set (deep equality)', () => {
    const r = applyYamlSettings(ORIGINAL, {
      num_tokens: 256,
      seed_provider: [{ parameters: [{ seeds: '10.0.0.1' }], class_name: 'org.apache.cassandra.locator.SimpleSeedProvider' }],
    });
    expect(r).toEqual({ text: ORIGINAL, changed: [] });
  });

  it('changes only the lines of the changed keys (4-space blocks, comments and quoting kept)', () => {
    const text = `seed_provider:\n    # contact points\n    - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n      parameters:\n          - seeds: "127.0.0.1"\nnum_tokens: 256   # vnodes\nendpoint_snitch: 'SimpleSnitch'\n`;
    const r = applyYamlSettings(text, { num_tokens: 16, endpoint_snitch: 'GossipingPropertyFileSnitch', api_port: 10001 });
    const before = text.split('\n');
    const after = r.text.split('\n');
    expect(after.slice(0, 5)).toEqual(before.slice(0, 5));
    expect(after[5]).toBe('num_tokens: 16   # vnodes');
    expect(after[6]).toBe('endpoint_snitch: GossipingPropertyFileSnitch');
    expect(after[7]).toBe('api_port: 10001');
  });

  it('replaces a collection value by re-rendering, and the result reads back', () => {
    const r = applyYamlSettings(ORIGINAL, { seed_provider: [{ class_name: 'x', parameters: [{ seeds: '10.0.0.9' }] }] });
    expect(r.changed).toEqual(['seed_provider']);
    expect(r.text).toContain('seeds: 10.0.0.9');
    expect(r.text).toContain('# The name of the cluster.');
  });

  it('adds a missing key and refuses to descend into a scalar', () => {
    expect(applyYamlSettings(ORIGINAL, { enable_tablets: true }).text).toMatch(/\nenable_tablets: true\n$/);
    expect(() => applyYamlSettings(ORIGINAL, { 'num_tokens.x': 1 })).toThrow(/not a mapping/);
    expect(() => applyYamlSettings('a: [', { a: 1 })).toThrow(/not valid YAML/);
  });
});

describe('scylla-config-set over a node shell', () => {
  it('backs up, writes a temp file, verifies, renames atomically', async () => {
    const { shell, ctx, dispose } = setup();
    const task = new ScyllaConfigSet({ settings: { compaction_throughput_mb_per_sec: 64 } });
    const r = await task.execute(ctx);
    const backup = configBackupPath(PATH, 'job/42');
    expect(backup).toBe('/etc/scylla/scylla.yaml.scylla-cp-job_42.bak');
    expect(r).toEqual({ changed: ['compaction_throughput_mb_per_sec'], backupPath: backup });
    expect(shell.files.get(backup)).toBe(ORIGINAL);
    expect(shell.files.get(PATH)).toContain('compaction_throughput_mb_per_sec: 64');
    expect(shell.files.get(PATH)).toContain('# Throttles compaction');
    expect(shell.files.has(`${PATH}.scylla-cp.tmp`)).toBe(false);
    expect(shell.log.map((a) => a.join(' '))).toEqual([
      `cat ${PATH}`,
      `cp -p ${PATH} ${backup}`,
      `cp -p ${PATH} ${PATH}.scylla-cp.tmp`,
      `tee ${PATH}.scylla-cp.tmp`,
      `cat ${PATH}.scylla-cp.tmp`,
      'sync',
      `mv -f ${PATH}.scylla-cp.tmp ${PATH}`,
      'sync',
    ]);
    await dispose();
  });

  it('is a no-op (one read, no write, no backup) when already set; a second run changes nothing', async () => {
    const { shell, ctx, dispose } = setup();
    const task = new ScyllaConfigSet({ settings: { compaction_throughput_mb_per_sec: 64 } });
    await task.execute(ctx);
    const after = shell.files.get(PATH);
    shell.log.length = 0;
    expect(await task.execute(ctx)).toEqual({ changed: [] });
    expect(shell.log).toEqual([['cat', PATH]]);
    expect(shell.files.get(PATH)).toBe(after);
    await dispose();
  });

  it('an interruption before the rename leaves the original intact, and a rerun completes', async () => {
    const { shell, ctx, dispose } = setup();
    shell.override = (argv) => (argv[0] === 'mv' ? new RecoverableError('ssh dropped', { code: 'SHELL_CONNECTION_FAILED' }) : undefined);
    const task = new ScyllaConfigSet({ settings: { num_tokens: 16 } });
    await expect(task.execute(ctx)).rejects.toThrow(/ssh dropped/);
    expect(shell.files.get(PATH)).toBe(ORIGINAL);
    shell.override = undefined;
    expect((await task.execute(ctx)).changed).toEqual(['num_tokens']);
    expect(shell.files.get(PATH)).toContain('num_tokens: 16');
    expect(shell.files.get(configBackupPath(PATH, 'job/42'))).toBe(ORIGINAL);
    await dispose();
  });

  it('fails recoverably when the read-back differs, without touching the original', async () => {
    const { shell, ctx, dispose } = setup();
    shell.override = (argv) => (argv[0] === 'tee' ? { exitCode: 0, stdout: '', stderr: '', truncated: false } : undefined); // write lost
    const e = await new ScyllaConfigSet({ settings: { num_tokens: 16 } }).execute(ctx).catch((x: unknown) => x);
    expect((e as RecoverableError).code).toBe('CONFIG_VERIFY_FAILED');
    expect(classifyError(e)).toBe('recoverable');
    expect(shell.files.get(PATH)).toBe(ORIGINAL);
    await dispose();
  });

  it('a missing file and a failing cp are unrecoverable', async () => {
    const { shell, ctx, dispose } = setup();
    shell.files.delete(PATH);
    const e1 = await new ScyllaConfigSet({ settings: { a: 1 } }).execute(ctx).catch((x: unknown) => x);
    expect(e1).toBeInstanceOf(UnrecoverableError);
    expect((e1 as UnrecoverableError).code).toBe('CONFIG_READ_FAILED');
    shell.files.set(PATH, ORIGINAL);
    shell.override = (argv) => (argv[0] === 'cp' ? { exitCode: 1, stdout: '', stderr: 'cp: Permission denied\n', truncated: false } : undefined);
    const e2 = await new ScyllaConfigSet({ settings: { a: 1 } }).execute(ctx).catch((x: unknown) => x);
    expect((e2 as UnrecoverableError).code).toBe('CONFIG_WRITE_FAILED');
    expect((e2 as Error).message).toContain('Permission denied');
    await dispose();
  });

  it('prefixes every command with sudo -n when connection.ssh.sudo is true', async () => {
    const { shell, ctx, dispose } = setup(true);
    await new ScyllaConfigSet({ settings: { num_tokens: 8 } }).execute(ctx);
    expect(shell.log.every((a) => a[0] === 'sudo' && a[1] === '-n')).toBe(true);
    expect(shell.files.get(PATH)).toContain('num_tokens: 8');
    await dispose();
  });
});
