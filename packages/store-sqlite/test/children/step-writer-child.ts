// Child process of resume-snapshot.test.ts: moves new steps running -> succeeded, one
// commit each, until its stdin closes. Prints "ready" once leased, then the count.
import { SqliteStore } from '@scylla-cp/store-sqlite';

const [file, jobId] = process.argv.slice(2) as [string, string];
const store = await SqliteStore.open(file, { synchronous: 'NORMAL' });
const lease = await store.acquireLease(jobId, 'writer', 600_000, 0);
let stop = false;
process.stdin.on('data', () => {}).on('end', () => (stop = true)).resume();
process.stdout.write('ready\n');
let i = 0;
while (!stop) {
  const stepId = `s0/w${i}/t0`;
  await store.commit(lease, { at: i, steps: [{ stepId, nodeId: `w${i}`, state: 'running', attempts: 1 }] });
  await store.commit(lease, { at: i, steps: [{ stepId, nodeId: `w${i}`, state: 'succeeded', attempts: 1 }] });
  i++;
  // Let the stdin 'end' event in.
  if (i % 20 === 0) await new Promise((r) => setImmediate(r));
}
process.stdout.write(`${i}\n`);
await store.close();
