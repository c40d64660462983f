import type { Engine, EngineEvents } from '@scylla-cp/core';

/** Something the engine's events can be attached to (an `Engine`). */
export type EventSource = Pick<Engine, 'on' | 'off'>;

/** A progress display: a set of engine-event listeners. */
export interface ProgressView {
  /** Starts listening. */
  attach(source: EventSource): void;
  /** Stops listening and flushes what is left to draw. */
  detach(): void;
  /** Prints a line that is not an engine event (e.g. "pausing after in-flight steps"). */
  note(message: string): void;
}

/** Attaches a map of listeners; returns the function that detaches them. */
export function listen(source: EventSource, listeners: Partial<EngineEvents>): () => void {
  const entries = Object.entries(listeners) as [keyof EngineEvents, EngineEvents[keyof EngineEvents]][];
  for (const [name, fn] of entries) (source.on as (n: string, f: unknown) => unknown)(name, fn);
  return () => {
    for (const [name, fn] of entries) (source.off as (n: string, f: unknown) => unknown)(name, fn);
  };
}
