import { connectionSettings, durationSecondsSchema, InvalidInputError, type ClusterInventory, type InventoryNode } from '@scylla-cp/core';
import { z } from 'zod';

/** Timeouts: >= 0 (0: none, where documented) and at most 30 days. */
const seconds = durationSecondsSchema({ allowZero: true });

/**
 * Inventory `connection.scylla_api` (per-node `connection.scylla_api` merged over it).
 * Keys are snake_case; unknown keys are errors.
 */
export const ScyllaApiSettingsSchema = z
  .object({
    /** REST API port. @default 10000 */
    port: z.number().int().min(1).max(65535).optional(),
    /** Address of the REST API when it differs from the node's `address`. @default the node's address */
    host: z.string().min(1).optional(),
    /** @default 5 */
    connect_timeout_seconds: seconds.optional(),
    /** @default 30 */
    headers_timeout_seconds: seconds.optional(),
    /** @default 30 */
    body_timeout_seconds: seconds.optional(),
    /** Headers timeout of blocking long operations (drain, cleanup, ...); 0 = none. @default 3600 */
    long_operation_timeout_seconds: seconds.optional(),
    /** Extra request headers. @default {} */
    headers: z.record(z.string(), z.string()).optional(),
    /** @default 4 */
    connections: z.number().int().min(1).optional(),
  })
  .strict();

/** Parsed {@link ScyllaApiSettingsSchema}. */
export type ScyllaApiSettings = z.output<typeof ScyllaApiSettingsSchema>;

/** Inventory `connection.ssh` (per-node merged over it). Unknown keys are errors. */
export const SshSettingsSchema = z
  .object({
    /** Remote user. @default ssh config / local user */
    user: z.string().min(1).optional(),
    /** @default ssh config / 22 */
    port: z.number().int().min(1).max(65535).optional(),
    /** Private key file. */
    identity_file: z.string().min(1).optional(),
    /** Jump host(s), as for `ssh -J`. */
    proxy_jump: z.string().min(1).optional(),
    /** @default 10 */
    connect_timeout_seconds: durationSecondsSchema().optional(),
    /** Extra `-o Key=Value` options. */
    options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    /** ssh config file (`-F`). */
    config_file: z.string().min(1).optional(),
    /** Host to ssh to when it differs from the node's `address` (e.g. a Host alias). */
    host: z.string().min(1).optional(),
    /** Prefix privileged commands with `sudo -n`. @default false */
    sudo: z.boolean().optional(),
    /** Path of the ssh client. @default 'ssh' */
    ssh_path: z.string().min(1).optional(),
  })
  .strict();

/** Parsed {@link SshSettingsSchema}. */
export type SshSettings = z.output<typeof SshSettingsSchema>;

/**
 * Inventory `connection.shell`. Other keys are allowed: the section is shared with whichever
 * shell provider is registered (the simulator's reads `url`), and `kind` may name a shell that
 * another provider implements (`sim`).
 */
export const ShellSettingsSchema = z
  .object({
    /** Which shell runs node commands: `ssh` and `local` are built in. @default 'ssh' */
    kind: z.string().min(1).optional(),
    /** Prefix privileged commands with `sudo -n`; wins over `connection.ssh.sudo`. */
    sudo: z.boolean().optional(),
  })
  .loose();

/** Parsed {@link ShellSettingsSchema}. */
export type ShellSettings = z.output<typeof ShellSettingsSchema>;

/**
 * Reads and validates one `connection` section for a node (inventory-wide settings with the
 * node's own merged over them). Invalid settings throw `InvalidInputError` naming the node,
 * the section and the problem.
 */
export function readConnectionSection<S extends z.ZodType>(
  inventory: ClusterInventory,
  node: InventoryNode | undefined,
  section: string,
  schema: S,
): z.output<S> {
  const raw = connectionSettings(inventory, node, section);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const where = node ? `node ${node.id}` : 'the inventory';
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(section)'}: ${i.message}`).join('; ');
    throw new InvalidInputError(`invalid connection.${section} settings for ${where}: ${problems}`, {
      code: 'INVALID_CONNECTION_SETTINGS',
      details: { section, node: node?.id },
    });
  }
  return parsed.data;
}
