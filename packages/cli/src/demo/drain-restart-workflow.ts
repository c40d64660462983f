/**
 * The canonical drain-and-restart workflow, byte for byte as
 * `examples/workflows/drain-restart.yaml` (a test keeps them equal). Embedded
 * so that `scylla-cp demo` works from an installed package too.
 */
export const DRAIN_RESTART_WORKFLOW = "name: Drain and restart each node in the cluster\nvariables:\n  - name: compactions_nominal_timeout_seconds\n    type: integer\n    description: Seconds to wait for compactions to reach nominal levels\n    default: 90\ncluster_tasks:\n  - task: !node-workflow\n      name: Drain and restart each node\n      node_tasks:\n        - task: !scylla-drain\n        - task: !systemd-stop-scylla-server\n        - task: !systemd-start-service\n            service: scylla-server\n        - task: !wait-for-conditions\n            conditions:\n              - condition: !compactions-nominal\n                success_window_seconds: 20\n                poll_interval_seconds: 5\n                timeout_seconds: +compactions_nominal_timeout_seconds+\n";
