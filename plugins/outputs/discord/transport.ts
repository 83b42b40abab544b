import {
  DiscordAPIError,
  HTTPError,
  RateLimitError,
  REST,
  Routes,
  type APIEmbed,
  type APIMessage,
} from 'discord.js';
import { networkFailure, type ChatFailure, type ChatClient } from '../../../src/index.js';
import type { DiscordTarget } from './options.js';

/** Discord's JSON error codes the output acts on. */
const UNKNOWN_WEBHOOK = 10015;
const UNKNOWN_CHANNEL = 10003;
const UNKNOWN_MESSAGE = 10008;

/**
 * Rate-limit waits discord.js does itself. Its waits cannot be cut short by a stop, so longer
 * ones are handed to the worker's schedule (which honours `retry_after`) instead.
 */
const MAX_LIBRARY_WAIT_MS = 2000;

export interface DiscordClient extends ChatClient<APIEmbed> {
  /** The chat key messages are stored under: `webhook`, or the channel id. */
  readonly chat: string;
  /** Stop the REST client's background sweepers. */
  close(): void;
}

/**
 * Discord through discord.js's REST client: its rate-limit handling waits out 429s (per
 * bucket and global) of up to 2 s, longer ones go to the worker's schedule; its own retries of 5xx and network errors are off, because the sync
 * worker decides whether a post may be repeated. Webhook posts use `wait=true`, so a failure
 * is an error here rather than a message that silently never appears.
 */
export function createDiscordClient(options: {
  target: DiscordTarget;
  apiBase: string;
  timeoutMs: number;
  instance: string;
}): DiscordClient {
  const { target, instance } = options;
  const rest = new REST({
    api: options.apiBase,
    retries: 0,
    timeout: options.timeoutMs,
    rejectOnRateLimit: (limit) => limit.retryAfter > MAX_LIBRARY_WAIT_MS,
  });
  if (target.mode === 'bot') rest.setToken(target.token);
  const body = (embed: APIEmbed) => ({
    embeds: [embed],
    allowed_mentions: { parse: [] },
    ...(target.mode === 'webhook' && target.username ? { username: target.username } : {}),
  });
  const where =
    target.mode === 'webhook'
      ? `the webhook of outputs.${instance}.webhookUrl`
      : `channel ${target.channel} (outputs.${instance}.channel)`;

  return {
    chat: target.mode === 'webhook' ? 'webhook' : target.channel,
    close() {
      rest.clearHashSweeper();
      rest.clearHandlerSweeper();
    },
    async check(signal) {
      if (target.mode === 'webhook') {
        const hook = (await rest.get(Routes.webhook(target.id, target.token), { auth: false, signal })) as {
          name?: string;
        };
        return `webhook "${hook.name ?? target.id}"`;
      }
      const me = (await rest.get(Routes.user(), { signal })) as { username?: string };
      return `bot ${me.username ?? ''}`.trim();
    },
    async post(_chat, embed, signal) {
      const message = (
        target.mode === 'webhook'
          ? await rest.post(Routes.webhook(target.id, target.token), {
              body: body(embed),
              query: new URLSearchParams({ wait: 'true' }),
              auth: false,
              signal,
            })
          : await rest.post(Routes.channelMessages(target.channel), { body: body(embed), signal })
      ) as APIMessage;
      return message.id;
    },
    async edit(_chat, messageId, embed, signal) {
      const { username: _u, ...edit } = body(embed) as ReturnType<typeof body> & { username?: string };
      if (target.mode === 'webhook')
        await rest.patch(Routes.webhookMessage(target.id, target.token, messageId), {
          body: edit,
          auth: false,
          signal,
        });
      else await rest.patch(Routes.channelMessage(target.channel, messageId), { body: edit, signal });
    },
    classify(error): ChatFailure {
      const gone = (status: number, why: string): ChatFailure => ({
        kind: 'gone',
        status,
        message: `Discord answered 404 (${why}) for ${where}: it was deleted or is wrong; disabled until the configuration is fixed and reloaded`,
      });
      if (error instanceof RateLimitError)
        return {
          kind: 'retry',
          status: 429,
          retryAfterMs: error.retryAfter,
          message: `Discord rate limit on ${error.route}: retry after ${Math.ceil(error.retryAfter / 1000)} s`,
        };
      if (error instanceof DiscordAPIError) {
        const { status, code } = error;
        const what = `Discord ${error.method} ${status}: ${error.message} (code ${code})`;
        if (code === UNKNOWN_MESSAGE) return { kind: 'missing', status, message: what };
        if (code === UNKNOWN_WEBHOOK || (code === UNKNOWN_CHANNEL && target.mode === 'bot'))
          return gone(status, error.message);
        // Behind a proxy a deleted webhook may answer 404 without Discord's JSON code.
        if (status === 404 && target.mode === 'webhook' && !/\/messages\//.test(error.url))
          return gone(status, error.message);
        if (status === 401)
          return {
            kind: 'unauthorized',
            status,
            message: `Discord rejected the ${target.mode === 'bot' ? `bot token (outputs.${instance}.token)` : `webhook token (outputs.${instance}.webhookUrl)`}: 401 ${error.message}`,
          };
        if (status === 429) return { kind: 'retry', status, message: what };
        if (status === 403)
          return {
            kind: 'refused',
            status,
            message: `${what}: give the bot permission to send messages and embed links in the channel`,
          };
        return { kind: 'refused', status, message: what };
      }
      if (error instanceof HTTPError) {
        if (error.status === 404 && target.mode === 'webhook' && !/\/messages\//.test(error.url))
          return gone(404, error.message);
        return {
          kind: error.status >= 500 || error.status === 429 ? 'retry' : 'refused',
          status: error.status,
          message: `Discord ${error.method} ${error.status}: ${error.message}`,
        };
      }
      return networkFailure(error, 'could not reach the Discord API');
    },
  };
}
