import { CoreNet } from '../helpers/core-net.js';
import type { CommandHandler } from './datadriven-env.js';

/** `cluster a b c [preVote] [checkQuorum]`: bootstraps the members (prints nothing). */
export const handleCluster: CommandHandler = (env, args) => {
  const ids = args.filter((a) => a !== 'preVote' && a !== 'checkQuorum');
  env.current = new CoreNet(ids, { preVote: args.includes('preVote'), checkQuorum: args.includes('checkQuorum'), maxSizePerMsgBytes: 1 << 20 });
  return [];
};
