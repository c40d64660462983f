import { defineConfig } from 'tsup';

export default defineConfig({
  // `rafttest` is the harness subpath (@scylla-cp/raft/rafttest): dist/rafttest.*
  entry: { index: 'src/index.ts', rafttest: 'src/rafttest/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
