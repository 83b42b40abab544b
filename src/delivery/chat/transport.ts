import type { ChatFailure } from './failure.js';

/**
 * A chat platform as the sync worker uses it. `C` is what a message is made of (HTML text for
 * Telegram, an embed for Discord). Calls throw on failure; `classify` says what the error means.
 */
export interface ChatTransport<C> {
  /** Post a new message; resolves to its id (kept in the store for edits). */
  post(chat: string, content: C, signal: AbortSignal): Promise<string>;
  /** Replace the content of a posted message. */
  edit(chat: string, messageId: string, content: C, signal: AbortSignal): Promise<void>;
  classify(error: unknown): ChatFailure;
}
