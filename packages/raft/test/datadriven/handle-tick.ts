import type { CommandHandler } from './datadriven-env.js';

/** `tick a <n>`: ticks a n times (default 1). */
export const handleTick: CommandHandler = (env, args) => {
  env.net().tick(args[0] as string, Number(args[1] ?? 1));
  return [];
};
