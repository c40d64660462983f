// The config file's errors say what, where (file:line:column) and how to fix it (SRE review of the
// CLI, 2026-12-04: a config file with a syntax error, an unknown key or a wrong type named no line).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatError } from '../src/format-error.js';
import { loadConfig } from '../src/config-file.js';
import { cliIn } from './in-process-cli.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scylla-cp-config-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What `scylla-cp` prints (and exits with) for a config file holding `text`. */
function refusal(name: string, text: string): { message: string; exitCode: number; file: string } {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  let error: unknown;
  try {
    loadConfig(dir, name);
  } catch (e) {
    error = e;
  }
  expect(error, 'the config file was accepted').toBeDefined();
  return { ...formatError(error), file };
}

describe('config file errors', () => {
  it('a JSON syntax error names file:line:column and how to fix it', () => {
    const trailing = refusal('trailing.json', '{\n  "plugins": ["a",],\n  "db": "x"\n}\n');
    expect(trailing.exitCode).toBe(2);
    expect(trailing.message).toContain(`${trailing.file}:2:18: `);
    expect(trailing.message).toMatch(/hint: .*trailing comma/);

    const unclosed = refusal('unclosed.json', '{\n  "plugins": [\n');
    expect(unclosed.message).toContain(`${unclosed.file}:3:1: `);
    expect(unclosed.message).toMatch(/hint: /);

    const comment = refusal('comment.json', '{\n  // our store\n  "db": "x"\n}\n');
    expect(comment.message).toContain(`${comment.file}:2:3: `);
    expect(comment.message).toMatch(/comments are not allowed/);
  });

  it('an unknown key names its line and the key meant; a wrong type names its line and an example', () => {
    const r = refusal('keys.json', '{\n  "plugins": ["a"],\n  "dbb": "x",\n  "notify": "discord:env:HOOK"\n}\n');
    expect(r.exitCode).toBe(2);
    expect(r.message).toContain(`${r.file}:3:3: unknown key "dbb" (hint: did you mean "db"?)`);
    expect(r.message).toMatch(new RegExp(`${r.file.replace(/[.]/g, '\\.')}:4:13: "notify": expected a list of strings[^\\n]*\\(hint: [^\\n]*"notify": \\["discord:env:`));
  });

  it('a value of the right type but out of its range names its line (an empty plugin name)', () => {
    const r = refusal('empty.json', '{\n  "plugins": ["ok", ""]\n}\n');
    expect(r.message).toContain(`${r.file}:2:21: "plugins[1]": `);
  });

  it('through the command: exit 2, the located problem on stderr, and valid files still load', async () => {
    fs.writeFileSync(path.join(dir, 'scylla-cp.config.json'), '{ "operator": 7 }');
    const r = await cliIn(dir, ['jobs']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${path.join(dir, 'scylla-cp.config.json')}:1:15: "operator": expected a string`);
    fs.writeFileSync(path.join(dir, 'scylla-cp.config.json'), JSON.stringify({ operator: 'alice', notify_on_success: true, plugins: [] }, null, 2));
    expect(loadConfig(dir)).toMatchObject({ operator: 'alice', notify_on_success: true, plugins: [], notify: [] });
  });
});
