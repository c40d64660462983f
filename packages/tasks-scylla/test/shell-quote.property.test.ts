import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shellJoin, shellQuote } from '../src/index.js';

const SEED = Number(process.env['SEED'] ?? Date.now() % 2 ** 31);

describe('shellQuote (property, real /bin/sh)', () => {
  it(`any string without NUL reaches the program unchanged (SEED=${SEED})`, () => {
    console.log(`shell-quote property test: SEED=${SEED}`);
    const arg = fc.string({ unit: fc.oneof(fc.constantFrom("'", '"', '\\', '$', '`', ';', '\n', '*', ' ', '!', '&', '|', '(', ')', '{', '}', '#', '~'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), maxLength: 40 })
      .filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(fc.array(arg, { minLength: 1, maxLength: 4 }), (args) => {
        // the remote side of ssh: a POSIX shell parsing the joined command line
        const out = execFileSync('/bin/sh', ['-c', shellJoin(['printf', '%s\\0', ...args])], { encoding: 'utf8' });
        expect(out.split('\0').slice(0, -1)).toEqual(args);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('quotes every argument, even harmless ones', () => {
    expect(shellQuote('abc')).toBe("'abc'");
    expect(shellQuote('')).toBe("''");
  });
});
