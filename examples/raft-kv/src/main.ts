// One raft-kv member: tsx src/main.ts --id n1 --members n1=127.0.0.1:7001:8001,... --data ./data
import { parseMembers, startKvNode } from './kv-node.js';

const arg = (n: string): string | undefined => {
  const i = process.argv.indexOf(n);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const id = arg('--id');
const members = arg('--members');
if (!id || !members) {
  console.error('usage: tsx src/main.ts --id <id> --members id=host:raftPort:httpPort,... [--data dir] [--tick-ms 50] [--snapshot-entries 50000]');
  process.exit(2);
}
const node = await startKvNode({
  id,
  members: parseMembers(members),
  dataDir: arg('--data') ?? './data',
  tickIntervalMs: Number(arg('--tick-ms') ?? 50),
  ...(arg('--snapshot-entries') !== undefined ? { snapshotThresholdEntries: Number(arg('--snapshot-entries')) } : {}),
});
node.raft.on('roleChange', (e) => console.log(`${id}: ${e.role} in term ${e.term}`));
console.log(`${id}: ready`);
const shutdown = (): void => void node.stop().then(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
