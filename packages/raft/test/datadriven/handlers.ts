import type { CommandHandler, DatadrivenEnv } from './datadriven-env.js';
import { handleCampaign } from './handle-campaign.js';
import { handleCluster } from './handle-cluster.js';
import { handleConf } from './handle-conf.js';
import { handleCrash } from './handle-crash.js';
import { handleDeliver } from './handle-deliver.js';
import { handleLog } from './handle-log.js';
import { handlePropose } from './handle-propose.js';
import { handleRestart } from './handle-restart.js';
import { handleStatus } from './handle-status.js';
import { handleTick } from './handle-tick.js';

/** The transcript command language: one handler per command (see each handler's doc). */
export const HANDLERS: Readonly<Record<string, CommandHandler>> = {
  cluster: handleCluster,
  campaign: handleCampaign,
  propose: handlePropose,
  conf: handleConf,
  deliver: handleDeliver,
  tick: handleTick,
  crash: handleCrash,
  restart: handleRestart,
  status: handleStatus,
  log: handleLog,
};

/** Runs one command line against `env`; an unknown command is an error naming it. */
export function runCommand(env: DatadrivenEnv, line: string): string[] {
  const [cmd = '', ...args] = line.trim().split(/\s+/);
  const handler = Object.hasOwn(HANDLERS, cmd) ? HANDLERS[cmd] : undefined;
  if (!handler) throw new Error(`unknown datadriven command "${cmd}" (known: ${Object.keys(HANDLERS).join(', ')})`);
  return handler(env, args);
}
