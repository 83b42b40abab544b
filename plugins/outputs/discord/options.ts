import { Type, type Static } from '@sinclair/typebox';
import { parseWebhookURL } from 'discord.js';
import { chatOptions, optionError, resolveChatOptions } from '../chat/options.js';
import type { Template } from '../chat/template.js';

export const DiscordOptions = Type.Object({
  webhookUrl: Type.Optional(
    Type.String({
      secret: true,
      description:
        'A channel webhook URL (Server Settings → Integrations → Webhooks → Copy Webhook URL). Or use token + channel.',
    }),
  ),
  token: Type.Optional(
    Type.String({ minLength: 20, secret: true, description: 'A bot token (with channel).' }),
  ),
  channel: Type.Optional(
    Type.String({ pattern: '^[0-9]{17,20}$', description: 'The channel id the bot posts to (with token).' }),
  ),
  apiBase: Type.String({
    default: 'https://discord.com/api',
    pattern: '^https?://',
    description: 'The Discord API base (a proxy or a test server); the API version is added to it.',
  }),
  username: Type.Optional(
    Type.String({ minLength: 1, maxLength: 80, description: 'Name shown on webhook posts (webhook only).' }),
  ),
  ...chatOptions,
});

export type DiscordOptionsType = Static<typeof DiscordOptions>;

/** Where messages go: a webhook (its id and token come from the URL) or a channel of a bot. */
export type DiscordTarget =
  | { mode: 'webhook'; id: string; token: string; username?: string }
  | { mode: 'bot'; token: string; channel: string };

export interface ResolvedDiscordOptions {
  target: DiscordTarget;
  apiBase: string;
  template: Template | null;
  scheduleMs: number[];
  timeoutMs: number;
}

const WEBHOOK_HELP =
  'must be a Discord webhook URL such as https://discord.com/api/webhooks/123456789012345678/abc… (Server Settings → Integrations → Webhooks → Copy Webhook URL)';

/** What the schema cannot check; throws an Error located at the option. Never shows a secret. */
export function resolveDiscordOptions(
  options: Readonly<DiscordOptionsType>,
  instance: string,
): ResolvedDiscordOptions {
  const shared = resolveChatOptions(options, instance);
  const base = options.apiBase.replace(/\/+$/, '');
  try {
    new URL(base);
  } catch {
    throw optionError(instance, 'apiBase', 'must be an http(s) URL such as https://discord.com/api');
  }
  if (options.webhookUrl !== undefined) {
    if (options.token !== undefined || options.channel !== undefined)
      throw optionError(
        instance,
        'webhookUrl',
        'and token/channel are alternatives: set webhookUrl, or token and channel',
      );
    const parsed = parseWebhookURL(options.webhookUrl);
    if (!parsed) throw optionError(instance, 'webhookUrl', WEBHOOK_HELP);
    return {
      target: {
        mode: 'webhook',
        id: parsed.id,
        token: parsed.token,
        ...(options.username ? { username: options.username } : {}),
      },
      apiBase: base,
      ...shared,
    };
  }
  if (options.token === undefined || options.channel === undefined)
    throw optionError(
      instance,
      options.token === undefined ? 'token' : 'channel',
      'is missing: set webhookUrl (a channel webhook), or token (a bot) and channel (its channel id)',
    );
  if (options.username !== undefined)
    throw optionError(instance, 'username', 'applies to webhooks only; a bot posts under its own name');
  return {
    target: { mode: 'bot', token: options.token, channel: options.channel },
    apiBase: base,
    ...shared,
  };
}
