import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      '@scylla-cp/core': pkg('core'),
      '@scylla-cp/raft/rafttest': fileURLToPath(new URL('./packages/raft/src/rafttest/index.ts', import.meta.url)),
      '@scylla-cp/raft': pkg('raft'),
      '@scylla-cp/conditions': pkg('conditions'),
      '@scylla-cp/tasks-scylla': pkg('tasks-scylla'),
      '@scylla-cp/store-sqlite': pkg('store-sqlite'),
      '@scylla-cp/store-sql/test-support': fileURLToPath(new URL('./packages/store-sql/src/test-support.ts', import.meta.url)),
      '@scylla-cp/store-sql': pkg('store-sql'),
      '@scylla-cp/store-postgres/test-support': fileURLToPath(new URL('./packages/store-postgres/src/test-support.ts', import.meta.url)),
      '@scylla-cp/store-postgres': pkg('store-postgres'),
      '@scylla-cp/sim': pkg('sim'),
      '@scylla-cp/testing': pkg('testing'),
      '@scylla-cp/server': pkg('server'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
