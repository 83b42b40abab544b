import { Type, type Static } from '@sinclair/typebox';
import {
  parseDuration,
  Duration,
  chatOptions,
  resolveChatOptions,
  optionError,
  problemList,
  fillTemplate,
  parseTemplate,
  type Template,
  SAMPLE_VIEW,
} from '../../../src/index.js';
import { escapeHtml, telegramHtmlProblem } from './format.js';

const CHAT = '^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$';
const CHAT_HELP = 'must be a chat id (e.g. -1001234567890) or a public @channelname, or a list of them';

export const TelegramOptions = Type.Object({
  token: Type.String({
    pattern: '^[0-9]{3,20}:[A-Za-z0-9_-]{20,}$',
    patternErrorMessage:
      'must be a bot token from @BotFather: the bot id (digits), a colon, then at least 20 letters, digits, _ or -, like 123456789:AAH…',
    secret: true,
    description: 'The bot token from @BotFather, e.g. 123456789:AA… (keep it in ${TELEGRAM_BOT_TOKEN}).',
  }),
  chat: Type.Unsafe<string | number | Array<string | number>>({
    type: ['string', 'integer', 'array'],
    items: { type: ['string', 'integer'] },
    minItems: 1,
    maxItems: 50,
    description:
      'Where to post: a chat id or @channel name, or a list of them (the bot must be allowed to post there).',
  }),
  apiRoot: Type.String({
    default: 'https://api.telegram.org',
    pattern: '^https?://',
    patternErrorMessage: 'must be an http:// or https:// URL, e.g. https://api.telegram.org',
    description: 'The Bot API server (a self-hosted one, or a test server).',
  }),
  pacing: Type.Object(
    {
      perChat: Duration({
        default: '3s',
        description:
          'Least time between two messages (or edits) to one chat; Telegram allows about 20 a minute in a group.',
      }),
      global: Duration({
        default: '40ms',
        description: 'Least time between any two API calls (Telegram: about 30/s).',
      }),
    },
    { default: {} },
  ),
  ...chatOptions,
});

export type TelegramOptionsType = Static<typeof TelegramOptions>;

export interface ResolvedTelegramOptions {
  token: string;
  chats: string[];
  apiRoot: string;
  template: Template | null;
  scheduleMs: number[];
  timeoutMs: number;
  perChatMs: number;
  globalMs: number;
}

/**
 * What the schema cannot check. Throws an Error located at the option, or one carrying every
 * problem found in `errors` (see `problemList`). Never shows the token.
 */
export function resolveOptions(options: Readonly<TelegramOptionsType>): ResolvedTelegramOptions {
  const problems = problemList();
  const list = (Array.isArray(options.chat) ? options.chat : [options.chat]).map(String);
  list.forEach((chat, i) => {
    if (!new RegExp(CHAT).test(chat))
      problems.add(Array.isArray(options.chat) ? `chat.${i}` : 'chat', `${CHAT_HELP} (got "${chat}")`);
  });
  if (new Set(list).size !== list.length) problems.add('chat', 'lists a chat twice');
  let apiRoot: URL | undefined;
  try {
    apiRoot = new URL(options.apiRoot);
  } catch {
    problems.add('apiRoot', 'must be an http(s) URL such as https://api.telegram.org');
  }
  const shared = problems.check(() => resolveChatOptions(options));
  // Checked even when a placeholder is unknown: its markup is reported in the same pass.
  const template = options.template === undefined ? null : loosely(options.template);
  if (template) {
    const problem = telegramHtmlProblem(fillTemplate(template, SAMPLE_VIEW, escapeHtml));
    if (problem) problems.add('template', `${problem}; Telegram would refuse every message`);
  }
  const pacing = (key: 'perChat' | 'global') =>
    problems.check(() => {
      try {
        return parseDuration(options.pacing[key]);
      } catch (error) {
        throw optionError(`pacing.${key}`, `must be a duration: ${(error as Error).message}`);
      }
    });
  const perChatMs = pacing('perChat');
  const globalMs = pacing('global');
  problems.throwIfAny();
  return {
    token: options.token,
    chats: list,
    apiRoot: apiRoot!.href.replace(/\/+$/, ''),
    ...shared!,
    perChatMs: perChatMs!,
    globalMs: globalMs!,
  };
}

/**
 * The template's text parts, with every well-formed placeholder (known or not) as one: what its
 * markup looks like once filled, even when a placeholder name is wrong.
 */
function loosely(text: string): Template | null {
  try {
    return parseTemplate(text.replace(/(?<!\{)\{[A-Za-z][A-Za-z0-9]*\}(?!\})/g, '{txid}'));
  } catch {
    return null; // an unclosed "{": reported by the template's own check
  }
}
