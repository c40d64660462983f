import { DatadrivenEnv } from './datadriven-env.js';
import { runCommand } from './handlers.js';

/**
 * Re-renders a transcript: each block is comment lines and command lines, `----`,
 * then the output (replaced here by what the commands print now; `ok` when they
 * print nothing). Blocks are separated by blank lines; a block of only comments
 * is kept as it is. Comparing the result with the file is the test.
 */
export function renderTranscript(text: string): string {
  const env = new DatadrivenEnv();
  const out: string[] = [];
  for (const block of text.split(/\n\n+/)) {
    const lines = block.split('\n');
    const sep = lines.indexOf('----');
    const head = sep >= 0 ? lines.slice(0, sep) : lines;
    const comments = head.filter((l) => l.startsWith('#'));
    const commands = head.filter((l) => l.trim() !== '' && !l.startsWith('#'));
    if (commands.length === 0) {
      if (comments.length) out.push(comments.join('\n'));
      continue;
    }
    const result = commands.flatMap((c) => runCommand(env, c));
    out.push([...comments, ...commands, '----', ...(result.length ? result : ['ok'])].join('\n'));
  }
  return out.join('\n\n') + '\n';
}
