/** What {@link runRollingWindow} drives. */
export interface RollingWindowHooks {
  /** Whether node `nodeId` (the next one not done) may start now (false: no more nodes start). */
  canStart(nodeId: string): boolean;
  /** Whether the node has nothing left to do (skipped, no slot used). */
  isDone(nodeId: string): boolean;
  /** Runs one node to its end. A rejection is reported to `onError`; the slot is freed either way. */
  run(nodeId: string): Promise<void>;
  onError(error: unknown): void;
}

/**
 * Runs `nodes` in order with at most `limit` at once; a slot freed by a node
 * that ended (its attempts settled) is refilled at once. Resolves when no node
 * is running and none may start; `started` tells how far it got (a value
 * below `nodes.length` means it stopped early).
 */
export function runRollingWindow(nodes: readonly string[], limit: number, hooks: RollingWindowHooks): Promise<{ started: number; stoppedEarly: boolean }> {
  const max = Math.max(1, limit);
  return new Promise((resolve) => {
    let next = 0;
    let active = 0;
    const pump = (): void => {
      while (active < max && next < nodes.length) {
        const nodeId = nodes[next]!;
        if (hooks.isDone(nodeId)) {
          next++;
          continue;
        }
        if (!hooks.canStart(nodeId)) break;
        next++;
        active++;
        hooks.run(nodeId).then(finished, (e: unknown) => {
          hooks.onError(e);
          finished();
        });
      }
      if (active === 0) resolve({ started: next, stoppedEarly: next < nodes.length });
    };
    const finished = (): void => {
      active--;
      pump();
    };
    pump();
  });
}
