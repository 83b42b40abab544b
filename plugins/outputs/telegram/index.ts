import { defineOutput } from '../../../src/plugin/define.js';
import { createChatInstance, type ChatInstance } from '../../../src/delivery/chat/instance.js';
import { createTelegramFormatter } from './format.js';
import { TelegramOptions, resolveTelegramOptions } from './options.js';
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
  validate: (options, { instance }) => void resolveTelegramOptions(options, instance),
  setup(ctx) {
    const o = resolveTelegramOptions(ctx.options, ctx.instance);
    const chat = createChatInstance(ctx, {
      channel: 'telegram',
      platform: 'Telegram',
      client: createTelegramClient({ ...o, instance: ctx.instance }),
      chats: o.chats,
      render: createTelegramFormatter(o.template),
      scheduleMs: o.scheduleMs,
      pacing: { perChatMs: o.perChatMs, globalMs: o.globalMs },
    });
    instances.set(ctx, chat);
    return { deliver: chat.deliver };
  },
  start: (ctx) => instances.get(ctx)?.start(),
});

// setup and start receive the same context object.
const instances = new WeakMap<object, ChatInstance>();
