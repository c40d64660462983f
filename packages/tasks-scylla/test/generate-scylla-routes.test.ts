import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../../scripts/generate-scylla-routes.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'scylla-routes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A tiny Swagger 1.2 definition in ScyllaDB's layout, plus a Swagger 2.0 fragment to skip. */
function writeDefinitions(): void {
  writeFileSync(
    join(dir, 'b_group.json'),
    JSON.stringify({
      swaggerVersion: '1.2',
      apis: [
        {
          path: '/b/things/{name}',
          operations: [
            { method: 'GET', nickname: 'get_things', type: 'array', items: { type: 'mapper' }, parameters: [{ name: 'name', paramType: 'path', type: 'string', required: true }] },
            { method: 'POST', nickname: 'set_thing', type: 'void', parameters: [{ name: 'mode', paramType: 'query', type: 'string', required: false, enum: ['x', 'y'] }] },
          ],
        },
        { path: '/b/hist', operations: [{ method: 'GET', nickname: 'hist', $ref: '#/utils/histogram', parameters: [] }] },
      ],
    }),
  );
  writeFileSync(
    join(dir, 'a_group.json'),
    JSON.stringify({ swaggerVersion: '1.2', apis: [{ path: '/a/status', operations: [{ method: 'GET', nickname: 'st', type: 'string', enum: ['ON', 'OFF'], parameters: [] }] }] }),
  );
  writeFileSync(join(dir, 'fragment.json'), '"/v2/config": { "get": {} }');
}

describe('scripts/generate-scylla-routes.ts', () => {
  it('derives method, path, response type, group and nickname; skips fragments; is deterministic', () => {
    writeDefinitions();
    const out1 = join(dir, 'out1.ts');
    const out2 = join(dir, 'out2.ts');
    execFileSync(tsx, [script, dir, out1], { stdio: 'pipe' });
    execFileSync(tsx, [script, dir, out2], { stdio: 'pipe' });
    const text = readFileSync(out1, 'utf8');
    expect(readFileSync(out2, 'utf8')).toBe(text);
    expect(text).toContain('Skipped: fragment.json');
    const rows = text
      .split('\n')
      .filter((l) => l.startsWith('  {'))
      .map((l) => JSON.parse(l.trim().replace(/,$/, '')) as Record<string, unknown>);
    expect(rows.map((r) => `${r.method} ${r.path} ${r.responseType} ${r.apiGroup} ${r.nickname}`)).toEqual([
      'GET /a/status string a_group st',
      'GET /b/hist #/utils/histogram b_group hist',
      'GET /b/things/{name} array<mapper> b_group get_things',
      'POST /b/things/{name} void b_group set_thing',
    ]);
    expect(rows[0]!.responseEnum).toEqual(['ON', 'OFF']);
    expect(rows[3]!.params).toEqual([{ name: 'mode', in: 'query', type: 'string', required: false, enum: ['x', 'y'] }]);
  });
});
