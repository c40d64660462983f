import type { CommandHandler } from './datadriven-env.js';

/** `restart a`: a starts again from its storage. */
export const handleRestart: CommandHandler = (env, args) => {
  env.net().start(args[0] as string);
  return [];
};
