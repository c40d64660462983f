import readline from 'node:readline';
import type { CliIo } from './cli-io.js';

/** Whether a person can answer a question: stdin and stdout are terminals. */
export function canPrompt(io: CliIo): boolean {
  return Boolean(io.stdin?.isTTY && io.stdout.isTTY);
}

/**
 * Asks `question` on the terminal and resolves true only for `y` or `yes`
 * (case-insensitive). Ctrl-C or end of input answers no.
 */
export function confirm(io: CliIo, question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: io.stdin!, output: io.stdout, terminal: true });
    let answered = false;
    const done = (v: boolean) => {
      if (answered) return;
      answered = true;
      rl.close();
      resolve(v);
    };
    rl.on('SIGINT', () => {
      io.stdout.write('\n');
      done(false);
    });
    rl.on('close', () => done(false));
    rl.question(question, (a) => done(/^\s*y(es)?\s*$/i.test(a)));
  });
}
