import { defineOutput } from '../../../src/plugin/define.js';
import { createChatInstance, type ChatInstance } from '../../../src/delivery/chat/instance.js';
import { createDiscordFormatter } from './embed.js';
import { DiscordOptions, resolveDiscordOptions } from './options.js';
import { createDiscordClient } from './transport.js';

/**
 * `discord`: posts whale alerts (and any other routed event) as embeds through a channel
 * webhook or a bot, and edits each whale's embed when it is confirmed, replaced or dropped.
 * Message ids live in the store, so edits survive restarts and nothing is posted twice. A
 * deleted webhook (404) or a rejected token disables the instance loudly (`/health`, log);
 * alerts are kept and sent after a reload with a working destination.
 */
export default defineOutput({
  name: 'discord',
  description: 'Posts alerts to Discord as embeds (webhook or bot) and edits them when the whale settles.',
  options: DiscordOptions,
  defaultEvents: ['whale.*'],
  validate: (options, { instance }) => void resolveDiscordOptions(options, instance),
  setup(ctx) {
    const o = resolveDiscordOptions(ctx.options, ctx.instance);
    const client = createDiscordClient({ ...o, instance: ctx.instance });
    const chat = createChatInstance(ctx, {
      channel: 'discord',
      platform: 'Discord',
      client,
      chats: [client.chat],
      render: createDiscordFormatter(o.template),
      scheduleMs: o.scheduleMs,
      // discord.js paces by Discord's own rate-limit headers.
      pacing: { perChatMs: 0, globalMs: 0 },
    });
    instances.set(ctx, chat);
    return { deliver: chat.deliver };
  },
  start: (ctx) => instances.get(ctx)?.start(),
});

// setup and start receive the same context object.
const instances = new WeakMap<object, ChatInstance>();
