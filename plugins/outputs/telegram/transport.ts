import { autoRetry } from '@grammyjs/auto-retry';
import { Bot, GrammyError, HttpError } from 'grammy';
import { type ChatFailure, networkFailure, type ChatClient } from '../../../src/index.js';

/** grammY types signals with the abort-controller polyfill's type; Node's own works at runtime. */
type GrammySignal = Parameters<Bot['api']['getMe']>[0];
const asSignal = (signal: AbortSignal) => signal as unknown as GrammySignal;

/**
 * Rate-limit waits grammY's auto-retry does itself (one wait of up to 10 s; a stop cuts it
 * short); a longer `retry_after` goes to the worker's schedule, which serves other chats
 * meanwhile.
 */
const AUTO_RETRY = { maxRetryAttempts: 1, maxDelaySeconds: 10 } as const;

/** `check` is `getMe`: it resolves to the bot's @username. */
export type TelegramClient = ChatClient<string>;

/**
 * The Bot API through grammY: HTML messages without link previews; 429s waited out by
 * auto-retry (once, up to 10 s); 5xx and network errors are not retried here but
 * by the sync worker, which knows whether a post may have gone through.
 */
export function createTelegramClient(options: {
  token: string;
  apiRoot: string;
  timeoutMs: number;
  instance: string;
}): TelegramClient {
  const bot = new Bot(options.token, {
    client: { apiRoot: options.apiRoot, timeoutSeconds: Math.ceil(options.timeoutMs / 1000) },
  });
  bot.api.config.use(
    autoRetry({ ...AUTO_RETRY, rethrowHttpErrors: true, rethrowInternalServerErrors: true }),
  );
  const other = { parse_mode: 'HTML', link_preview_options: { is_disabled: true } } as const;
  const tokenHelp = `check outputs.${options.instance}.token (from @BotFather; /token shows it again, /revoke makes a new one)`;

  return {
    async check(signal) {
      const me = await bot.api.getMe(asSignal(signal));
      return `@${me.username}`;
    },
    async post(chat, text, signal) {
      const message = await bot.api.sendMessage(chat, text, other, asSignal(signal));
      return String(message.message_id);
    },
    async edit(chat, messageId, text, signal) {
      await bot.api.editMessageText(chat, Number(messageId), text, other, asSignal(signal));
    },
    classify(error): ChatFailure {
      if (error instanceof GrammyError) {
        const status = error.error_code;
        const what = `Telegram ${error.method}: ${status} ${error.description}`;
        const retryAfter = error.parameters.retry_after;
        if (status === 429)
          return {
            kind: 'retry',
            status,
            message: what,
            ...(retryAfter ? { retryAfterMs: retryAfter * 1000 } : {}),
          };
        if (status === 401 || status === 404)
          return {
            kind: 'unauthorized',
            status,
            message: `Telegram rejected the bot token (${status} ${error.description}): ${tokenHelp}`,
          };
        if (status >= 500) return { kind: 'retry', status, message: what };
        if (/message is not modified/i.test(error.description))
          return { kind: 'not-modified', status, message: what };
        if (/message to edit not found|message can't be edited/i.test(error.description))
          return { kind: 'missing', status, message: what };
        if (/chat not found/i.test(error.description))
          return {
            kind: 'refused',
            status,
            message: `${what}: check the chat id, and that the bot was added to the chat or channel`,
          };
        if (status === 403)
          return {
            kind: 'refused',
            status,
            message: `${what}: add the bot to the chat (as an admin allowed to post, for a channel)`,
          };
        return { kind: 'refused', status, message: what };
      }
      if (error instanceof HttpError)
        return networkFailure(error.error, 'could not reach the Telegram Bot API');
      // auto-retry's own wait, cut short by a stop: the 429 means nothing was posted.
      if (error instanceof Error && /aborted while waiting between retries/i.test(error.message))
        return { kind: 'retry', message: 'stopped while waiting out a rate limit' };
      return { kind: 'ambiguous', message: error instanceof Error ? error.message : String(error) };
    },
  };
}
