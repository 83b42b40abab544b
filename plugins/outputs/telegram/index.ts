import { defineOutput } from '../../../src/plugin/define.js';
import { createChatObserver, type ChatObserver } from '../chat/observe.js';
import { createChatWorker, type ChatWorker } from '../chat/worker.js';
import { createTelegramFormatter } from './format.js';
import { TelegramOptions, resolveTelegramOptions } from './options.js';
import { createTelegramClient, type TelegramClient } from './transport.js';

/** How long `getMe` may take at start before the instance starts without knowing. */
const CHECK_TIMEOUT_MS = 5000;

/**
 * `telegram`: posts whale alerts (and any other routed event) to one or more chats as HTML, and
 * edits each whale's message in place when it is confirmed, replaced or dropped. Message ids
 * live in the store (collection `messages`), so edits survive restarts and nothing is posted
 * twice. A bad token leaves the instance unhealthy (alerts are kept and sent after a reload
 * with a good token); other outputs are unaffected.
 */
export default defineOutput({
  name: 'telegram',
  description: 'Posts alerts to Telegram chats (grammY) and edits them when the whale settles.',
  options: TelegramOptions,
  defaultEvents: ['whale.*'],
  validate: (options, { instance }) => void resolveTelegramOptions(options, instance),
  setup(ctx) {
    const o = resolveTelegramOptions(ctx.options, ctx.instance);
    const client = createTelegramClient({ ...o, instance: ctx.instance });
    const observer = createChatObserver({
      instance: ctx.instance,
      channel: 'telegram',
      metrics: ctx.metrics,
      health: ctx.health,
      log: ctx.log,
    });
    const worker = createChatWorker({
      instance: ctx.instance,
      chats: o.chats,
      store: ctx.store,
      log: ctx.log,
      transport: client,
      render: createTelegramFormatter(o.template),
      scheduleMs: o.scheduleMs,
      pacing: { perChatMs: o.perChatMs, globalMs: o.globalMs },
      observer,
    });
    state.set(ctx, { client, worker, observer });
    ctx.onStop(() => worker.stop());
    return { deliver: (envelope) => worker.record(envelope) };
  },
  async start(ctx) {
    const s = state.get(ctx);
    if (!s) return;
    try {
      const name = await s.client.check(AbortSignal.timeout(CHECK_TIMEOUT_MS));
      ctx.log.info({ bot: name, chats: ctx.options.chat }, `posting to Telegram as ${name}`);
    } catch (error) {
      const failure = s.client.classify(error);
      if (failure.kind === 'unauthorized') s.worker.disable(failure.message);
      else {
        s.observer.degraded(`could not check the bot token (getMe): ${failure.message}`);
        ctx.log.warn(`could not check the bot token (getMe): ${failure.message}; posting anyway`);
      }
    }
    s.worker.start();
  },
});

const state = new WeakMap<object, { client: TelegramClient; worker: ChatWorker; observer: ChatObserver }>();
