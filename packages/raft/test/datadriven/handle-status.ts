import type { CommandHandler } from './datadriven-env.js';

/** `status`: role, term, leader, commit, last index and configuration of every live member. */
export const handleStatus: CommandHandler = (env) => {
  const net = env.net();
  return net.ids
    .filter((id) => !net.down.has(id))
    .map((id) => {
      const c = net.core(id);
      const conf = c.confState();
      return `${id}: ${c.currentRole} term=${c.currentTerm} leader=${c.leader ?? '-'} commit=${c.log.committed} last=${c.log.lastIndex()} voters=${conf.voters.join(',')}${conf.votersOutgoing.length ? ` outgoing=${conf.votersOutgoing.join(',')}` : ''}${conf.learners.length ? ` learners=${conf.learners.join(',')}` : ''}`;
    });
};
