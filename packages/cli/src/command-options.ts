import { Option, type Command } from 'commander';
import type { CliIo } from './cli-io.js';
import type { CliConfig } from './config-file.js';
import { parseNotifySpec } from './notify-spec.js';
import { collect } from './parse-flags.js';
import type { NotifySettings } from './commands/run-job.js';

/**
 * The options that several commands share: `-o, --output`, the targeting
 * flags of `plan`/`preflight`/`run`, and the notify flags of `run`/`resume`/
 * `retry`, with {@link notifySettings} merging the notify flags over the
 * config file.
 */

/** `-o, --output <format>`: `json` or `yaml` (default: the human-readable text). */
export const outputOption = (): Option => new Option('-o, --output <format>', 'print as json or yaml').choices(['json', 'yaml']);

/** Adds `-i, --inventory` (required), `--nodes`, `--zone`, `--exclude` and `--var` (all repeatable) to `c`. */
export function targetingOptions(c: Command): Command {
  return c
    .requiredOption('-i, --inventory <file>', 'cluster inventory (YAML)')
    .option('--nodes <ids>', 'only these nodes (ids or addresses, comma-separated; repeatable)', collect)
    .option('--zone <zone>', 'only the nodes of this zone (repeatable)', collect)
    .option('--exclude <ids>', 'leave these nodes out (comma-separated; repeatable)', collect)
    .option('--var <name=value>', 'set a workflow variable (repeatable)', collect);
}

/** Adds `--notify` (repeatable), `--operator-mention`, `--notify-on-success` and `--json` to `c`. */
export function notifyFlags(c: Command): Command {
  return c
    .option('--notify <target>', 'page: discord:<url|env:NAME|file:PATH>, slack:..., webhook:... (repeatable)', collect)
    .option('--operator-mention <id>', 'Discord user id to mention when the job halts')
    .option('--notify-on-success', 'also notify when the job completes')
    .option('--json', 'print engine events as JSON lines');
}

/**
 * The notify settings of a job: the config's targets then the `--notify`
 * flags' (parsed, references such as `env:NAME` checked), `--operator-mention`
 * over the config's `operator_mention`, `--notify-on-success` over the
 * config's `notify_on_success` (default false).
 */
export function notifySettings(cfg: CliConfig, o: { notify?: string[]; operatorMention?: string; notifyOnSuccess?: boolean }, io: CliIo): NotifySettings {
  const r: NotifySettings = {
    notify: [...cfg.notify, ...(o.notify ?? [])].map((s) => parseNotifySpec(s, io.env, io.cwd)),
    notifyOnSuccess: Boolean(o.notifyOnSuccess ?? cfg.notify_on_success),
  };
  const mention = o.operatorMention ?? cfg.operator_mention;
  if (mention !== undefined) r.operatorMention = mention;
  return r;
}
