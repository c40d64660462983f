import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      '@scylla-cp/core': pkg('core'),
      '@scylla-cp/raft': pkg('raft'),
      '@scylla-cp/conditions': pkg('conditions'),
      '@scylla-cp/tasks-scylla': pkg('tasks-scylla'),
      '@scylla-cp/store-sqlite': pkg('store-sqlite'),
      '@scylla-cp/sim': pkg('sim'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
