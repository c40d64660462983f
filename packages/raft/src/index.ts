// The production surface of @scylla-cp/raft. Test and simulation harnesses
// (the deterministic simulator, the virtual clock, the topology clusters) are
// exported from the `@scylla-cp/raft/rafttest` subpath instead (src/rafttest/).
export * from './raft-prng.js';
export * from './errors.js';
export * from './raft-error-codes.js';
export * from './core/messages.js';
export type * from './core/ready.js';
export { readyIsEmpty, canSendBeforePersist } from './core/ready.js';
export * from './core/raft-log.js';
export * from './core/raft-core.js';
export * from './core/confchange.js';
export * from './quorum/majority.js';
export * from './quorum/joint.js';
export * from './tracker/progress.js';
export * from './tracker/inflights.js';
export type * from './storage/storage.js';
export * from './storage/memory-storage.js';
export type * from './transport/transport.js';
export type * from './server/state-machine.js';
// Exported under Raft* names: `Clock` and `SystemClock` are @scylla-cp/core's names.
export { type Clock as RaftClock, type TimerHandle, SystemClock as RaftSystemClock } from './server/clock.js';
export * from './server/events.js';
export * from './server/raft-server.js';
export * from './storage/sqlite-storage.js';
export * from './transport/message-codec.js';
export * from './transport/tcp-transport.js';
export * from './topology/index.js';
