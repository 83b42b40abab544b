import type { PluginContext } from '../../plugin/types.js';
import { createChatObserver } from './observe.js';
import type { ChatMessageRecord } from './record.js';
import type { ChatTransport } from './transport.js';
import { createChatWorker } from './worker.js';

/** How long the start-up check may take before the instance starts without knowing. */
const CHECK_TIMEOUT_MS = 5000;

/** A platform client: the transport, plus a start-up check of its credentials. */
export interface ChatClient<C> extends ChatTransport<C> {
  /** Resolves to a name for the log (the bot, the webhook), or rejects (`classify` says why). */
  check(signal: AbortSignal): Promise<string>;
  close?(): void;
}

export interface ChatInstance {
  deliver: (envelope: Parameters<ReturnType<typeof createChatWorker>['record']>[0]) => Promise<void>;
  /** Check the credentials, then begin sending. Never throws: a bad token is reported in /health. */
  start(): Promise<void>;
}

/**
 * What a chat output instance is made of: the sync worker over the store, its observer, the
 * client; cleaned up on stop (worker first, then the client). A rejected token or a deleted
 * destination at start makes the instance unhealthy and keeps alerts for a reload; a check
 * that fails otherwise (network) only degrades it.
 */
export function createChatInstance<C>(
  ctx: PluginContext<unknown>,
  spec: {
    channel: 'telegram' | 'discord';
    /** Shown in log lines: "posting to Telegram as @bot". */
    platform: string;
    client: ChatClient<C>;
    chats: readonly string[];
    render(record: ChatMessageRecord): C;
    scheduleMs: readonly number[];
    pacing: { perChatMs: number; globalMs: number };
    /** The platform's limit per chat where a deployment shares the queue; one per `perChatMs` by default. */
    limit?: { max: number; durationMs: number };
  },
): ChatInstance {
  const { client } = spec;
  const observer = createChatObserver({
    instance: ctx.instance,
    channel: spec.channel,
    metrics: ctx.metrics,
    health: ctx.health,
    log: ctx.log,
  });
  const worker = createChatWorker({
    instance: ctx.instance,
    chats: spec.chats,
    store: ctx.store,
    log: ctx.log,
    transport: client,
    render: spec.render,
    scheduleMs: spec.scheduleMs,
    schedule: ctx.chatQueue({
      chats: spec.chats,
      pacing: spec.pacing,
      limit: spec.limit ?? { max: 1, durationMs: spec.pacing.perChatMs },
      log: ctx.log,
    }),
    observer,
  });
  if (client.close) ctx.onStop(() => client.close?.());
  ctx.onStop(() => worker.stop());
  return {
    deliver: (envelope) => worker.record(envelope),
    async start() {
      try {
        const name = await client.check(AbortSignal.timeout(CHECK_TIMEOUT_MS));
        ctx.log.info(`posting to ${spec.platform} as ${name}`);
      } catch (error) {
        const failure = client.classify(error);
        if (failure.kind === 'unauthorized' || failure.kind === 'gone') worker.disable(failure.message);
        else {
          const reason = `could not check the ${spec.platform} credentials: ${failure.message}`;
          observer.degraded(reason);
          ctx.log.warn(`${reason}; posting anyway`);
        }
      }
      worker.start();
    },
  };
}
