import { dec, type CommandHandler } from './datadriven-env.js';

/** `log a`: a's entries as index/term and payload (`conf [...]`, the text, or `(no-op)`). */
export const handleLog: CommandHandler = (env, args) => {
  const c = env.net().core(args[0] as string);
  return c.log.entries.map((e) => `${e.index}/${e.term} ${e.type === 'conf' ? `conf ${JSON.stringify(e.change?.steps)}` : e.data.length ? dec(e.data) : '(no-op)'}`);
};
