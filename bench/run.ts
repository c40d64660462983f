// Runs benchmarks: `npm run bench -- <name>` runs bench/<name>.ts; no name runs every bench.
// Each bench runs in its own process (clean CPU and memory figures) and prints, as its last
// line, a JSON object with at least `bench`. Exits non-zero if any bench fails.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();
const wanted = process.argv.slice(2).filter((a) => a !== '--');
for (const name of wanted) {
  if (!available.includes(name)) {
    console.error(`unknown bench "${name}"; available: ${available.join(', ')}`);
    process.exit(2);
  }
}
let failed = 0;
for (const name of wanted.length > 0 ? wanted : available) {
  console.error(`# bench ${name}`);
  const res = spawnSync(process.execPath, ['--import', 'tsx', join(here, `${name}.ts`)], { stdio: 'inherit', env: process.env });
  if (res.status !== 0) {
    failed++;
    console.error(`# bench ${name} failed (exit ${res.status ?? res.signal})`);
  }
}
process.exit(failed > 0 ? 1 : 0);
