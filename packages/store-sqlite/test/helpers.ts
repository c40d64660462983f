// The SQL stores' shared fixtures (see @scylla-cp/store-sql/test-support).
import { tempDir as sharedTempDir } from '@scylla-cp/store-sql/test-support';

export { clusterPlan, newJob } from '@scylla-cp/store-sql/test-support';

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'scp-sqlite-'): { dir: string; cleanup: () => void } {
  return sharedTempDir(prefix);
}
