import { InvalidInputError, type ClusterInventory, type InventoryNode, type ServiceContext, type ServiceProvider } from '@scylla-cp/core';
import { readConnectionSection, ShellSettingsSchema, SshSettingsSchema } from '../services/connection-settings.js';
import { LocalShell } from './local-shell.js';
import { NodeShellService, type NodeShell } from './node-shell.js';
import { OpenSshShell } from './open-ssh-shell.js';

/**
 * Builds the node shell the inventory asks for: `connection.shell.kind` `ssh` (default) →
 * {@link OpenSshShell} configured from `connection.ssh` (`user`, `port`, `identity_file`,
 * `proxy_jump`, `connect_timeout_seconds`, `options`, `config_file`, `host`, `ssh_path`);
 * `local` → {@link LocalShell}. Per-node `connection` sections win over the inventory's.
 */
export function nodeShellFor(inventory: ClusterInventory, node: InventoryNode): NodeShell {
  const shell = readConnectionSection(inventory, node, 'shell', ShellSettingsSchema);
  if (shell.kind === 'local') return new LocalShell();
  if (shell.kind !== undefined && shell.kind !== 'ssh') {
    throw new InvalidInputError(
      `node ${node.id}: connection.shell.kind "${shell.kind}" is not built into @scylla-cp/tasks-scylla (ssh, local); register the provider of NodeShellService that implements it`,
      { code: 'UNKNOWN_SHELL_KIND', details: { node: node.id, kind: shell.kind } },
    );
  }
  const ssh = readConnectionSection(inventory, node, 'ssh', SshSettingsSchema);
  return new OpenSshShell({
    host: ssh.host ?? node.address,
    user: ssh.user,
    port: ssh.port,
    identityFile: ssh.identity_file,
    proxyJump: ssh.proxy_jump,
    connectTimeoutSeconds: ssh.connect_timeout_seconds,
    options: ssh.options,
    configFile: ssh.config_file,
    sshPath: ssh.ssh_path,
  });
}

/**
 * Whether privileged commands on `node` are prefixed with `sudo -n`: `connection.shell.sudo`,
 * else `connection.ssh.sudo`, else false.
 */
export function usesSudo(inventory: ClusterInventory, node: InventoryNode): boolean {
  const shell = readConnectionSection(inventory, node, 'shell', ShellSettingsSchema);
  if (shell.sudo !== undefined) return shell.sudo;
  const ssh = readConnectionSection(inventory, node, 'ssh', SshSettingsSchema);
  return ssh.sudo ?? false;
}

/** `argv`, prefixed with `sudo -n` when the node's settings ask for it (see {@link usesSudo}). */
export function privileged(ctx: ServiceContext & { inventory: ClusterInventory; node: InventoryNode }, argv: readonly string[]): string[] {
  return usesSudo(ctx.inventory, ctx.node) ? ['sudo', '-n', ...argv] : [...argv];
}

/** The default provider of `NodeShellService` (node scope only), choosing by inventory. */
export const nodeShellProvider: ServiceProvider<NodeShell> = {
  key: NodeShellService,
  create(scope) {
    if (!scope.node) {
      throw new InvalidInputError('the node shell needs a node context', { code: 'MISSING_NODE_CONTEXT' });
    }
    return nodeShellFor(scope.inventory, scope.node);
  },
};
