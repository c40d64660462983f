// Runs every transcript under test/transcripts/ (see transcript-runner.ts for the language).
// UPDATE=1 rewrites a transcript's expected output from what the engine recorded.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseTranscript, runTranscript } from './transcript-runner.js';

const dir = fileURLToPath(new URL('./transcripts/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();

describe('engine transcripts (test/transcripts/*.txt)', () => {
  it('there are transcripts to run', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  for (const file of files) {
    it(file, async () => {
      const path = dir + file;
      const text = readFileSync(path, 'utf8');
      const { expected, actual } = await runTranscript(text, `test/transcripts/${file}`);
      if (process.env.UPDATE === '1') {
        writeFileSync(path, actual);
        return;
      }
      expect(actual).toBe(expected);
    });
  }

  it('the output is what the engine recorded, not what the file says', async () => {
    const text = 'job zones=1 nodes=1 tasks=drain\n----\nwhatever\n\nrun\n----\n=> job failed\n';
    const { expected, actual } = await runTranscript(text);
    expect(expected).toContain('=> job failed');
    expect(actual).toContain('s0/b0 zone-0: z0-n0');
    expect(actual).toContain('  1s step.succeeded s0/z0-n0/t0 attempt=1');
    expect(actual).toContain('=> job succeeded');
  });

  it('a command without its ---- line is refused naming file and line', () => {
    expect(() => parseTranscript('# prose\nrun\nsteps\n----\n', 'x.txt')).toThrow('x.txt:2: command "run" must be followed by a line "----"');
  });
});
