import { defineCondition, defineNodeTask, definePlugin } from '@scylla-cp/core';
import { MaintenanceBannerTask, maintenanceBannerParams } from './maintenance-banner-task.js';
import { ScyllaUptimeAtLeast, scyllaUptimeAtLeastParams } from './scylla-uptime-at-least.js';

export * from './maintenance-banner-task.js';
export * from './scylla-uptime-at-least.js';

/**
 * The example plugin: `!maintenance-banner` (node task) and
 * `!scylla-uptime-at-least` (node condition). Load it from the CLI with
 * `{"plugins": ["scylla-cp-plugin-example"]}` in `scylla-cp.config.json`.
 */
export const examplePlugin = definePlugin({
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
  conditions: {
    'scylla-uptime-at-least': defineCondition({
      scope: 'node',
      description: "The node's Scylla has been up at least `seconds`",
      params: scyllaUptimeAtLeastParams,
      create: (p) => new ScyllaUptimeAtLeast(p),
    }),
  },
});

export default examplePlugin;
