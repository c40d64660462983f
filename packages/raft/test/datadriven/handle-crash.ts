import type { CommandHandler } from './datadriven-env.js';

/** `crash a`: a stops; what it had not persisted is lost. */
export const handleCrash: CommandHandler = (env, args) => {
  env.net().crash(args[0] as string);
  return [];
};
