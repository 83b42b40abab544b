import { Type, type Static } from '@sinclair/typebox';
import { problemList, chatOptions, resolveChatOptions, type Template } from '../../../src/index.js';

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
    Type.String({
      pattern: '^[0-9]{17,20}$',
      patternErrorMessage:
        'must be a channel id: 17 to 20 digits, e.g. "223456789012345678" (Discord: User Settings → Advanced → Developer Mode, then right-click the channel → Copy Channel ID)',
      description: 'The channel id the bot posts to (with token).',
    }),
  ),
  apiBase: Type.String({
    default: 'https://discord.com/api',
    pattern: '^https?://',
    patternErrorMessage: 'must be an http:// or https:// URL, e.g. https://discord.com/api',
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
  'must be a Discord webhook URL such as https://discord.com/api/webhooks/<id>/<token> (Server Settings → Integrations → Webhooks → Copy Webhook URL)';

/** Hosts of Discord's webhook URLs (discordapp.com is the old name, still served). */
const WEBHOOK_HOSTS = new Set([
  'discord.com',
  'ptb.discord.com',
  'canary.discord.com',
  'discordapp.com',
  'ptb.discordapp.com',
  'canary.discordapp.com',
]);

/**
 * The id and token of a Discord webhook URL, `https://discord.com/api[/v10]/webhooks/ID/TOKEN`:
 * the id is a snowflake (17–20 digits), the token 68 letters, digits, `_` or `-`. Otherwise what
 * is wrong with it, in words that never show the token.
 */
export function parseDiscordWebhookUrl(
  value: string,
): { ok: true; id: string; token: string } | { ok: false; reason: string } {
  const fail = (reason: string) => ({ ok: false as const, reason });
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return fail(
      /^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim())
        ? 'it does not parse as a URL'
        : 'it is not a URL (https://… expected)',
    );
  }
  if (url.protocol !== 'https:') return fail(`it starts with ${url.protocol}//, not https://`);
  if (!WEBHOOK_HOSTS.has(url.hostname.toLowerCase()))
    return fail(`its host is ${url.hostname}, not discord.com`);
  if (url.username || url.password) return fail('it has a user or password before the host');
  if (url.search || url.hash)
    return fail('it has a ?query or #fragment after the token; copy the URL as Discord shows it');
  const path = url.pathname.replace(/\/+$/, '').split('/').slice(1);
  const at = path.indexOf('webhooks');
  if (path[0] !== 'api' || at < 0 || at > 2 || (at === 2 && !/^v\d{1,2}$/.test(path[1] ?? '')))
    return fail('its path does not start with /api/webhooks/');
  const [id, token, ...rest] = path.slice(at + 1);
  if (!id) return fail('the webhook id and token are missing after /api/webhooks/');
  if (!/^\d{17,20}$/.test(id)) return fail('the webhook id (after /webhooks/) must be 17 to 20 digits');
  if (!token) return fail('the token is missing after the webhook id');
  if (!/^[A-Za-z0-9_-]+$/.test(token))
    return fail('the token (after the id) may hold only letters, digits, _ and -');
  if (token.length !== 68)
    return fail(`the token (after the id) must be 68 characters long; this one has ${token.length}`);
  if (rest.length > 0) return fail('it has more path after the token');
  return { ok: true, id, token };
}

/**
 * What the schema cannot check. Throws an Error located at the option, or one carrying every
 * problem found in `errors` (see `problemList`). Never shows a secret.
 */
export function resolveOptions(options: Readonly<DiscordOptionsType>): ResolvedDiscordOptions {
  const problems = problemList();
  const shared = problems.check(() => resolveChatOptions(options));
  const base = options.apiBase.replace(/\/+$/, '');
  try {
    new URL(base);
  } catch {
    problems.add('apiBase', 'must be an http(s) URL such as https://discord.com/api');
  }
  let target: DiscordTarget | undefined;
  if (options.webhookUrl !== undefined) {
    if (options.token !== undefined || options.channel !== undefined)
      problems.add('webhookUrl', 'and token/channel are alternatives: set webhookUrl, or token and channel');
    const parsed = parseDiscordWebhookUrl(options.webhookUrl);
    if (!parsed.ok) problems.add('webhookUrl', `${WEBHOOK_HELP}; ${parsed.reason}`);
    else
      target = {
        mode: 'webhook',
        id: parsed.id,
        token: parsed.token,
        ...(options.username ? { username: options.username } : {}),
      };
  } else {
    if (options.token === undefined || options.channel === undefined)
      problems.add(
        options.token === undefined ? 'token' : 'channel',
        'is missing: set webhookUrl (a channel webhook), or token (a bot) and channel (its channel id)',
      );
    if (options.username !== undefined)
      problems.add('username', 'applies to webhooks only; a bot posts under its own name');
    if (options.token !== undefined && options.channel !== undefined)
      target = { mode: 'bot', token: options.token, channel: options.channel };
  }
  problems.throwIfAny();
  return { target: target!, apiBase: base, ...shared! };
}
