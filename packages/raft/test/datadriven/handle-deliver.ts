import type { Message } from '../../src/index.js';
import type { CommandHandler } from './datadriven-env.js';

/** One delivered message as a transcript line. */
export function describeMessage(m: Message): string {
  const parts = [`${m.from}->${m.to} ${m.type} term=${m.term}`];
  if (m.index !== undefined) parts.push(`index=${m.index}`);
  if (m.logTerm !== undefined) parts.push(`logTerm=${m.logTerm}`);
  if (m.commit !== undefined) parts.push(`commit=${m.commit}`);
  if (m.entries && m.entries.length) parts.push(`entries=[${m.entries.map((e) => `${e.index}/${e.term}`).join(',')}]`);
  if (m.reject) parts.push(`reject hint=${m.rejectHint}/${m.logTerm}`);
  return parts.join(' ');
}

/**
 * `deliver [cut a,b]`: delivers messages until quiet, dropping any from or to the
 * members listed after `cut`; prints one line per delivered message.
 */
export const handleDeliver: CommandHandler = (env, args) => {
  const cut = args[0] === 'cut' ? (args[1] ?? '').split(',') : [];
  const out: string[] = [];
  env.net().deliver((m) => {
    if (cut.includes(m.from) || cut.includes(m.to)) return false;
    out.push(describeMessage(m));
    return true;
  });
  return out;
};
