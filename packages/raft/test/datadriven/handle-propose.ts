import { enc, type CommandHandler } from './datadriven-env.js';

/** `propose a <text>`: a proposes a command; prints the index and term, or the error. */
export const handlePropose: CommandHandler = (env, args) => {
  try {
    const pos = env.net().core(args[0] as string).propose(enc(args.slice(1).join(' ')));
    env.net().flush();
    return [`index=${pos.index} term=${pos.term}`];
  } catch (e) {
    return [`error: ${(e as Error).name}: ${(e as Error).message}`];
  }
};
