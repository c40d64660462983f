import type { ConfState, NodeId } from '../core/messages.js';
import type { Role } from '../core/ready.js';

/** Events a {@link RaftServer} emits, with their payloads. Listeners run synchronously. */
export interface RaftServerEvents {
  /** This member's role changed (e.g. follower to leader). */
  roleChange: { readonly role: Role; readonly term: number };
  /** The known leader changed (null while unknown). */
  leaderChange: { readonly leader: NodeId | null; readonly term: number };
  /** Entries (or a snapshot) up to `index` were applied to the state machine. */
  applied: { readonly index: number };
  /** A committed membership change took effect. */
  membershipChange: { readonly conf: ConfState; readonly index: number };
}

/** Name of a {@link RaftServerEvents} event. */
export type RaftServerEventName = keyof RaftServerEvents;

/** A tiny synchronous typed event emitter. */
export class TypedEmitter<E extends object> {
  private readonly listeners = new Map<keyof E, Set<(payload: never) => void>>();

  /** Subscribes; returns an unsubscribe function. */
  on<K extends keyof E>(event: K, listener: (payload: E[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  /** Calls every listener of `event` with `payload`. */
  emit<K extends keyof E>(event: K, payload: E[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const l of [...set]) (l as (p: E[K]) => void)(payload);
  }
}
