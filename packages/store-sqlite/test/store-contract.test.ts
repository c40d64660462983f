import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobStoreContract } from '@scylla-cp/core';
import { SqliteStore } from '@scylla-cp/store-sqlite';
import { tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;

jobStoreContract('SqliteStore (file)', async () => SqliteStore.open(path.join(tmp.dir, `contract-${n++}.db`)), {
  describe,
  it,
  expect,
  beforeEach,
  afterEach,
});

jobStoreContract('SqliteStore (:memory:)', async () => SqliteStore.open(':memory:'), { describe, it, expect, beforeEach, afterEach });
