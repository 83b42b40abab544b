import { defineOutput } from '../../../src/plugin/define.js';
import { createChatObserver, type ChatObserver } from '../chat/observe.js';
import { createChatWorker, type ChatWorker } from '../chat/worker.js';
import { createDiscordFormatter } from './embed.js';
import { DiscordOptions, resolveDiscordOptions } from './options.js';
import { createDiscordClient, type DiscordClient } from './transport.js';

const CHECK_TIMEOUT_MS = 5000;

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
    const observer = createChatObserver({
      instance: ctx.instance,
      channel: 'discord',
      metrics: ctx.metrics,
      health: ctx.health,
      log: ctx.log,
    });
    const worker = createChatWorker({
      instance: ctx.instance,
      chats: [client.chat],
      store: ctx.store,
      log: ctx.log,
      transport: client,
      render: createDiscordFormatter(o.template),
      scheduleMs: o.scheduleMs,
      // discord.js paces by Discord's own rate-limit headers.
      pacing: { perChatMs: 0, globalMs: 0 },
      observer,
    });
    state.set(ctx, { client, worker, observer });
    ctx.onStop(() => client.close());
    ctx.onStop(() => worker.stop());
    return { deliver: (envelope) => worker.record(envelope) };
  },
  async start(ctx) {
    const s = state.get(ctx);
    if (!s) return;
    try {
      const name = await s.client.check(AbortSignal.timeout(CHECK_TIMEOUT_MS));
      ctx.log.info(`posting to Discord through ${name}`);
    } catch (error) {
      const failure = s.client.classify(error);
      if (failure.kind === 'unauthorized' || failure.kind === 'gone') s.worker.disable(failure.message);
      else {
        s.observer.degraded(`could not check the Discord destination: ${failure.message}`);
        ctx.log.warn(`could not check the Discord destination: ${failure.message}; posting anyway`);
      }
    }
    s.worker.start();
  },
});

const state = new WeakMap<object, { client: DiscordClient; worker: ChatWorker; observer: ChatObserver }>();
