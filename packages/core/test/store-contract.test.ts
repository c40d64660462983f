import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore, jobStoreContract } from '@scylla-cp/core';

jobStoreContract('MemoryStore', async () => new MemoryStore(), { describe, it, expect, beforeEach, afterEach });
