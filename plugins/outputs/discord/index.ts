import { defineOutput, createChatInstance } from '../../../src/index.js';
import { createDiscordFormatter } from './format.js';
import { DiscordOptions, resolveOptions } from './options.js';
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
  resolve: (options) => resolveOptions(options),
  setup(ctx) {
    const o = ctx.options;
    const client = createDiscordClient({ ...o, instance: ctx.instance });
    const chat = createChatInstance(ctx, {
      channel: 'discord',
      platform: 'Discord',
      client,
      chats: [client.chat],
      render: createDiscordFormatter(o.template),
      scheduleMs: o.scheduleMs,
      // discord.js paces by Discord's own rate-limit headers; a deployment's queue holds the
      // webhook bucket those headers give (5 per 2 s) across its processes.
      pacing: { perChatMs: 0, globalMs: 0 },
      limit: { max: 5, durationMs: 2000 },
    });
    return { start: chat.start, deliver: chat.deliver };
  },
});
