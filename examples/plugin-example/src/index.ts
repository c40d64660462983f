import { defineClusterTask, defineCondition, defineNodeTask, definePlugin } from '@scylla-cp/core';
import { MaintenanceBannerTask, maintenanceBannerParams } from './maintenance-banner-task.js';
import { ScyllaUptimeAtLeast, scyllaUptimeAtLeastParams } from './scylla-uptime-at-least.js';
import { SnapshotEverywhereTask, snapshotEverywhereParams } from './snapshot-everywhere-task.js';

export * from './maintenance-banner-task.js';
export * from './snapshot-everywhere-task.js';
export * from './scylla-uptime-at-least.js';

/**
 * The plugin: `!maintenance-banner` (node task), `!snapshot-everywhere` (cluster task) and
 * `!scylla-uptime-at-least` (node condition). Load it from the CLI with
 * `{"plugins": ["scylla-cp-plugin-example"]}` in `scylla-cp.config.json`.
 */
export const plugin = definePlugin({
  name: 'scylla-cp-plugin-example',
  version: '0.1.0',
  coreVersion: '^0.1.0',
  nodeTasks: {
    'maintenance-banner': defineNodeTask({
      description: 'Write a maintenance banner (default /etc/motd) on the node, idempotently',
      params: maintenanceBannerParams,
      create: (p) => new MaintenanceBannerTask(p),
    }),
  },
  clusterTasks: {
    'snapshot-everywhere': defineClusterTask({
      description: 'Take a snapshot with the given tag on every node that does not hold it yet',
      params: snapshotEverywhereParams,
      create: (p) => new SnapshotEverywhereTask(p),
    }),
  },
  conditions: {
    'scylla-uptime-at-least': defineCondition({
      scope: 'node',
      description: "The node's Scylla has been up at least `seconds`",
      params: scyllaUptimeAtLeastParams,
      create: (p) => new ScyllaUptimeAtLeast(p),
    }),
  },
});

export default plugin;
