import { defineOutput, createChatInstance } from '../../../src/index.js';
import { createTelegramFormatter } from './format.js';
import { TelegramOptions, resolveOptions } from './options.js';
import { createTelegramClient } from './transport.js';

/**
 * `telegram`: posts whale alerts (and any other routed event) to one or more chats as HTML, and
 * edits each whale's message in place when it is confirmed, replaced or dropped. Message ids
 * live in the store (collection `messages`), so edits survive restarts and nothing is posted
 * twice. A bad token (`getMe` at start) leaves the instance unhealthy (alerts are kept and sent
 * after a reload with a good token); other outputs are unaffected.
 */
export default defineOutput({
  name: 'telegram',
  description: 'Posts alerts to Telegram chats (grammY) and edits them when the whale settles.',
  options: TelegramOptions,
  defaultEvents: ['whale.*'],
  resolve: (options) => resolveOptions(options),
  setup(ctx) {
    const o = ctx.options;
    const chat = createChatInstance(ctx, {
      channel: 'telegram',
      platform: 'Telegram',
      client: createTelegramClient({ ...o, instance: ctx.instance }),
      chats: o.chats,
      render: createTelegramFormatter(o.template),
      scheduleMs: o.scheduleMs,
      pacing: { perChatMs: o.perChatMs, globalMs: o.globalMs },
    });
    return { start: chat.start, deliver: chat.deliver };
  },
});
