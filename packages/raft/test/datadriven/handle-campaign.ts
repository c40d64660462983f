import type { CommandHandler } from './datadriven-env.js';

/** `campaign a`: a starts an election (no delivery). */
export const handleCampaign: CommandHandler = (env, args) => {
  env.net().core(args[0] as string).campaign();
  env.net().flush();
  return [];
};
