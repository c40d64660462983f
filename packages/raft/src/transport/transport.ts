import type { Message } from '../core/messages.js';

/**
 * Message delivery between members: best effort, unordered, possibly duplicated. Raft
 * tolerates all of that; a transport only has to avoid corrupting messages.
 */
export interface Transport {
  /** Registers the receiver of incoming messages (called once, before any send). */
  start(onMessage: (message: Message) => void): void;
  /** Queues a message; never throws for network reasons (drops instead). */
  send(message: Message): void;
  /** Stops delivering and releases resources. */
  close(): void;
}
