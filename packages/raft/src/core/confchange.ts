import { InvalidConfChangeError } from '../errors.js';
import type { ConfChange, ConfState, NodeId } from './messages.js';

/**
 * Computes the configuration that results from applying `change` to `conf`
 * (copy-on-write: returns a new object or throws InvalidConfChangeError).
 * - Empty `steps` leaves joint consensus.
 * - A change that keeps the voter set (learner additions/removals) takes effect directly.
 * - Any other change enters joint consensus: outgoing = old voters, incoming = new voters.
 */
export function applyConfChange(conf: ConfState, change: ConfChange): ConfState {
  const joint = conf.votersOutgoing.length > 0;
  if (change.steps.length === 0) {
    if (!joint) throw new InvalidConfChangeError('cannot leave joint consensus: the configuration is not joint');
    return { voters: conf.voters.slice(), votersOutgoing: [], learners: conf.learners.slice() };
  }
  if (joint) throw new InvalidConfChangeError('cannot change membership while in joint consensus; wait for it to be left');
  const voters = new Set(conf.voters);
  const learners = new Set(conf.learners);
  for (const step of change.steps) {
    if (typeof step.node !== 'string' || step.node.length === 0) {
      throw new InvalidConfChangeError('a membership step needs a non-empty node id');
    }
    switch (step.type) {
      case 'addVoter':
        learners.delete(step.node);
        voters.add(step.node);
        break;
      case 'addLearner':
        if (voters.has(step.node)) {
          throw new InvalidConfChangeError(`cannot make voter ${step.node} a learner directly; remove it first`);
        }
        learners.add(step.node);
        break;
      case 'remove':
        voters.delete(step.node);
        learners.delete(step.node);
        break;
      default:
        throw new InvalidConfChangeError(`unknown membership step type ${(step as { type: string }).type}`);
    }
  }
  if (voters.size === 0) throw new InvalidConfChangeError('a membership change must leave at least one voter');
  const sameVoters = voters.size === conf.voters.length && conf.voters.every((v) => voters.has(v));
  return {
    voters: [...voters].sort(),
    votersOutgoing: sameVoters ? [] : conf.voters.slice(),
    learners: [...learners].sort(),
  };
}

/** True if `id` is a voter (incoming or outgoing) in `conf`. */
export function isVoterIn(conf: ConfState, id: NodeId): boolean {
  return conf.voters.includes(id) || conf.votersOutgoing.includes(id);
}

/** Every member (voters of both halves and learners). */
export function allMembers(conf: ConfState): NodeId[] {
  return [...new Set([...conf.voters, ...conf.votersOutgoing, ...conf.learners])];
}
