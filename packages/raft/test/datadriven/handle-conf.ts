import type { CommandHandler } from './datadriven-env.js';

/** `conf a addVoter|addLearner|remove b`: a proposes a membership change; prints the index or the error's name. */
export const handleConf: CommandHandler = (env, args) => {
  try {
    const pos = env.net().core(args[0] as string).proposeConfChange({ steps: [{ type: args[1] as 'addVoter', node: args[2] as string }] });
    env.net().flush();
    return [`index=${pos.index}`];
  } catch (e) {
    return [`error: ${(e as Error).name}`];
  }
};
