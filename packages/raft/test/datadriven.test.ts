import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DatadrivenEnv } from './datadriven/datadriven-env.js';
import { HANDLERS, runCommand } from './datadriven/handlers.js';
import { renderTranscript } from './datadriven/render-transcript.js';

/**
 * Datadriven scenario transcripts (testdata/*.txt), after etcd raft's interaction tests.
 * Each block is a command line, `----`, then the expected output, then a blank line.
 * The runner re-renders every file from its commands and compares with the file; run
 * `npx vitest run packages/raft/test/datadriven.test.ts -u` to rewrite the expectations.
 *
 * The command language lives in `datadriven/`, one handler per command
 * (`handle-<command>.ts`, mapped in `handlers.ts`): `cluster a b c [preVote]
 * [checkQuorum]`, `campaign a`, `propose a <text>`, `deliver [cut a,b]`, `tick a <n>`,
 * `crash a`, `restart a`, `conf a addVoter|addLearner|remove b`, `status`, `log a`.
 */
const dir = fileURLToPath(new URL('./testdata/', import.meta.url));

describe('datadriven transcripts', () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt'))) {
    it(file, async () => {
      await expect(renderTranscript(readFileSync(dir + file, 'utf8'))).toMatchFileSnapshot(dir + file);
    });
  }

  it('every command of the language has its handler, and an unknown command is an error naming the known ones', () => {
    expect(Object.keys(HANDLERS).sort()).toEqual(['campaign', 'cluster', 'conf', 'crash', 'deliver', 'log', 'propose', 'restart', 'status', 'tick']);
    expect(() => runCommand(new DatadrivenEnv(), 'frobnicate a')).toThrow(/unknown datadriven command "frobnicate" \(known: cluster, campaign/);
    expect(() => runCommand(new DatadrivenEnv(), 'status')).toThrow(/no cluster: start with `cluster a b c`/);
  });
});
