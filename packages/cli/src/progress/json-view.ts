import type { EngineEvents } from '@scylla-cp/core';
import { listen, type EventSource, type ProgressView } from './progress-view.js';

/**
 * `--json`: one JSON object per line for every engine event, with an `event`
 * field naming it (`job`, `step`, `attempt`, `retry`, `condition-poll`, `log`,
 * `notification`) and `time` as ISO-8601. Notes are `{"event":"note",...}`.
 */
export class JsonProgressView implements ProgressView {
  #detach: (() => void) | undefined;

  constructor(private readonly out: NodeJS.WritableStream) {}

  attach(source: EventSource): void {
    const names: (keyof EngineEvents)[] = ['job', 'step', 'attempt', 'retry', 'condition-poll', 'log', 'notification'];
    const listeners: Partial<EngineEvents> = {};
    for (const name of names) {
      listeners[name] = ((e: { at: number }) => this.#write(name, e)) as never;
    }
    this.#detach = listen(source, listeners);
  }

  detach(): void {
    this.#detach?.();
  }

  note(message: string): void {
    this.out.write(`${JSON.stringify({ event: 'note', message })}\n`);
  }

  #write(event: string, payload: { at: number }): void {
    this.out.write(`${JSON.stringify({ event, time: new Date(payload.at).toISOString(), ...payload })}\n`);
  }
}
