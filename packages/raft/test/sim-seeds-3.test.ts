import { seedShard } from './helpers/seed-shard.js';

// Shard 3 of 4 (500 seeds each, 2,000 in total). SEED=<n> reruns a single seed.
seedShard(3);
