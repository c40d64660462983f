import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyError, RecoverableError } from '@scylla-cp/core';
import { LocalShell, nodeShellFor, OpenSshShell, shellJoin } from '../src/index.js';

/**
 * Integration test against a real OpenSSH sshd that the test starts on 127.0.0.1 with its own
 * config and throwaway ed25519 keys. Fails (does not skip) when sshd or ssh is missing.
 */
const SSHD = '/usr/sbin/sshd';
let dir: string;
let port: number;
let sshd: ChildProcess | undefined;
let sshdLog = '';
let shell: OpenSshShell;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const p = (srv.address() as import('node:net').AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return p;
}

async function waitForPort(p: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(p, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd did not listen on 127.0.0.1:${p} within ${ms} ms; its output:\n${sshdLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: install openssh-server to run this test`);
  for (const bin of ['ssh', 'ssh-keygen']) {
    try {
      execFileSync('sh', ['-c', `command -v ${bin}`]);
    } catch {
      throw new Error(`${bin} is missing: install openssh-client to run this test`);
    }
  }
  dir = mkdtempSync(join(tmpdir(), 'scylla-cp-sshd-'));
  chmodSync(dir, 0o700);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
  chmodSync(join(dir, 'authorized_keys'), 0o600);
  port = await freePort();
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin yes',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  sshd = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'pipe', 'pipe'] });
  sshd.stdout!.on('data', (c: Buffer) => (sshdLog += c.toString()));
  sshd.stderr!.on('data', (c: Buffer) => (sshdLog += c.toString()));
  sshd.once('exit', (code) => (sshdLog += `\n[sshd exited with ${code}]`));
  await waitForPort(port, 10_000);
  shell = new OpenSshShell({
    host: '127.0.0.1',
    port,
    user: userInfo().username,
    identityFile: join(dir, 'client_key'),
    configFile: '/dev/null',
    options: { StrictHostKeyChecking: 'no', UserKnownHostsFile: '/dev/null', LogLevel: 'ERROR' },
  });
});

afterAll(async () => {
  if (sshd && sshd.exitCode === null) {
    const exited = new Promise((r) => sshd!.once('exit', r));
    sshd.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const HOSTILE = [
  '; rm -rf /tmp/should-not-exist',
  '$(touch /tmp/scylla-cp-pwned)',
  '`touch /tmp/scylla-cp-pwned`',
  "it's",
  '"double" and \'single\'',
  'line1\nline2',
  '*',
  '/etc/*',
  '$HOME ${PATH}',
  'a\\b',
  '',
  ' leading and trailing ',
  '|& > /dev/null <',
  '-n',
  '#comment',
  '!',
];

describe('OpenSshShell against a real sshd', () => {
  it('runs a command and returns its output and exit code', async () => {
    const r = await shell.run(['echo', 'hello']);
    expect(r).toEqual({ exitCode: 0, stdout: 'hello\n', stderr: '', truncated: false });
  });

  it('passes hostile arguments through verbatim, executing none of them', async () => {
    rmSync('/tmp/scylla-cp-pwned', { force: true });
    const r = await shell.run(['printf', '%s\\0', ...HOSTILE]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(HOSTILE);
    expect(existsSync('/tmp/scylla-cp-pwned')).toBe(false);
  });

  it('passes a hostile program name as one word (no command is injected)', async () => {
    const r = await shell.run(['echo hi; touch /tmp/scylla-cp-pwned']);
    expect(r.exitCode).toBe(127);
    expect(existsSync('/tmp/scylla-cp-pwned')).toBe(false);
  });

  it('feeds stdin and reports non-zero exit codes', async () => {
    const text = 'key: value\n# comment\n\u00e9\n';
    expect((await shell.run(['cat'], { stdin: text })).stdout).toBe(text);
    const r = await shell.run(['sh', '-c', 'echo oops >&2; exit 7']);
    expect(r.exitCode).toBe(7);
    expect(r.stderr).toBe('oops\n');
  });

  it('caps captured output', async () => {
    const r = await shell.run(['head', '-c', '100000', '/dev/zero'], { maxOutputBytes: 1000 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.length).toBe(1000);
    expect(r.truncated).toBe(true);
  });

  it('kills ssh on timeout and throws a recoverable SHELL_TIMEOUT', async () => {
    const started = Date.now();
    const e = await shell.run(['sleep', '30'], { timeoutSeconds: 1 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RecoverableError);
    expect((e as RecoverableError).code).toBe('SHELL_TIMEOUT');
    expect(classifyError(e)).toBe('recoverable');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('throws a recoverable SHELL_CONNECTION_FAILED when sshd is unreachable', async () => {
    const closed = await freePort();
    const bad = new OpenSshShell({ ...shell.options, port: closed, connectTimeoutSeconds: 3 });
    const e = await bad.run(['true']).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RecoverableError);
    expect((e as RecoverableError).code).toBe('SHELL_CONNECTION_FAILED');
  });

  it('is built from inventory connection.ssh by nodeShellFor', async () => {
    const node = { id: 'n1', address: '127.0.0.1', dc: 'dc1', rack: 'r1', zone: 'z1', labels: {}, connection: {} };
    const s = nodeShellFor(
      {
        name: 'c',
        nodes: [node],
        connection: {
          ssh: {
            port,
            user: userInfo().username,
            identity_file: join(dir, 'client_key'),
            config_file: '/dev/null',
            options: { StrictHostKeyChecking: 'no', UserKnownHostsFile: '/dev/null', LogLevel: 'ERROR' },
          },
        },
      },
      node,
    );
    expect(s).toBeInstanceOf(OpenSshShell);
    expect((await s.run(['id', '-un'])).stdout.trim()).toBe(userInfo().username);
  });
});

describe('shell quoting and LocalShell', () => {
  it('quotes with POSIX single quotes', () => {
    expect(shellJoin(['a', "it's", ''])).toBe(`'a' 'it'\\''s' ''`);
    expect(() => shellJoin(['a\0b'])).toThrow(/NUL/);
  });

  it('LocalShell passes arguments without a shell and maps a missing program to 127', async () => {
    const r = await new LocalShell().run(['printf', '%s\\0', ...HOSTILE]);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(HOSTILE);
    expect((await new LocalShell().run(['/no/such/program'])).exitCode).toBe(127);
  });

  it('builds ssh arguments with BatchMode, ConnectTimeout, -J and -- before the host', () => {
    const s = new OpenSshShell({ host: 'db1', user: 'scylla', port: 2222, identityFile: '/k', proxyJump: 'bastion', connectTimeoutSeconds: 7 });
    expect(s.sshArgs(['systemctl', 'stop', 'scylla-server'])).toEqual([
      '-T', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=7', '-l', 'scylla', '-p', '2222', '-i', '/k', '-J', 'bastion', '--', 'db1', `'systemctl' 'stop' 'scylla-server'`,
    ]);
  });
});
