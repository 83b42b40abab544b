import { Type, type Static } from '@sinclair/typebox';
import {
  parseDuration,
  isCronExpression,
  optionError,
  problemList,
  Duration,
  Secret,
  StringEnum,
} from '../../../src/index.js';
import { parseSmtpUrl, SmtpUrlError, type SmtpServer } from './smtp-url.js';

/**
 * Delays before each retry: 10 attempts over about 24 hours. Mail is rarely urgent to the
 * second, and a relay that is down is usually down for minutes to hours, not seconds.
 */
export const EMAIL_SCHEDULE = ['1m', '5m', '15m', '30m', '1h', '2h', '4h', '8h', '8h'] as const;

/** One address or a list. A type list rather than `anyOf`, so a wrong value gives one error. */
const Recipients = Type.Unsafe<string | string[]>({
  type: ['string', 'array'],
  minLength: 3,
  items: { type: 'string', minLength: 3 },
  minItems: 1,
  maxItems: 50,
  description: 'Recipient address, or a list of them (one mail to all).',
});

export const EmailOptions = Type.Object({
  smtp: Secret({
    minLength: 1,
    description:
      'SMTP server: smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465 (TLS). Percent-encode @ : / in the user or password.',
  }),
  from: Type.String({
    minLength: 3,
    description: 'Sender: an address, or "Name <address>". Its domain also names the Message-IDs.',
  }),
  to: Recipients,
  starttls: Type.Optional(
    StringEnum(['auto', 'required', 'never'], {
      description:
        'smtp:// only: "required" (default for a remote host) fails unless the server offers STARTTLS; "auto" (default on localhost) upgrades when offered; "never" stays in plain text.',
    }),
  ),
  subjectPrefix: Type.String({ default: '[Spout]', maxLength: 80, description: 'Starts every subject.' }),
  digest: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'Collect whale.* events and mail one digest per period instead of one mail each: a duration (1h, 1d) or a cron expression ("0 8 * * *").',
    }),
  ),
  retry: Type.Array(Duration(), {
    default: [...EMAIL_SCHEDULE],
    maxItems: 50,
    description:
      'Delays before each retry (±20% jitter); attempts = 1 + this many. After the last, the mail is dead (kept, retryable).',
  }),
  timeout: Duration({
    default: '30s',
    description: 'Time limit for connecting, the greeting and each SMTP reply.',
  }),
  concurrency: Type.Integer({
    minimum: 1,
    maximum: 16,
    default: 2,
    description: 'Pooled SMTP connections, and mails in flight, at most.',
  }),
});

export type EmailOptionsType = Static<typeof EmailOptions>;

/** When digests go out. */
export type DigestSchedule = { every: number } | { cron: string };

/** The options in the form the plugin uses. */
export interface ResolvedEmailOptions {
  server: SmtpServer;
  /** As configured (with a display name, if any). */
  from: string;
  /** The domain of the sender address: the right-hand side of every Message-ID. */
  domain: string;
  to: string[];
  subjectPrefix: string;
  digest: DigestSchedule | null;
  scheduleMs: number[];
  timeoutMs: number;
  concurrency: number;
}

const ADDRESS = /^[^\s@<>",;:]+@[^\s@<>",;:]+\.[^\s@<>",;:]+$|^[^\s@<>",;:]+@localhost$/i;

/** The bare address of `a@b.c` or `Name <a@b.c>`, or null when it is not one. */
export function addressOf(value: string): string | null {
  const v = value.trim();
  const angle = /<([^<>]*)>$/.exec(v);
  const address = (angle ? angle[1]! : v).trim();
  return ADDRESS.test(address) ? address : null;
}

/**
 * Check what the schema cannot (the SMTP URL, addresses, durations, the digest schedule) and
 * convert. Throws `SPOUT_CONFIG_INVALID` (exit status 2) located at the option, one error per
 * problem or one carrying all of them in `errors`; no message ever contains the SMTP URL (it
 * holds the password).
 */
export function resolveOptions(options: Readonly<EmailOptionsType>): ResolvedEmailOptions {
  const problems = problemList();
  let server: SmtpServer | undefined;
  try {
    server = parseSmtpUrl(options.smtp, options.starttls);
  } catch (error) {
    if (!(error instanceof SmtpUrlError)) throw error;
    problems.add('smtp', error.message);
  }
  const from = addressOf(options.from);
  if (!from)
    problems.add(
      'from',
      'must be an e-mail address, or "Name <address>" (e.g. "Spout <alerts@example.com>")',
    );
  const list = (Array.isArray(options.to) ? [...options.to] : [options.to]) as unknown[];
  if (list.length === 0) problems.add('to', 'must name at least one recipient');
  list.forEach((to, i) => {
    if (typeof to !== 'string' || !addressOf(to))
      problems.add(
        Array.isArray(options.to) ? `to[${i}]` : 'to',
        'must be an e-mail address, or "Name <address>" (a list for several recipients)',
      );
  });
  const duration = (key: string, value: string) => {
    try {
      return parseDuration(value);
    } catch (error) {
      problems.add(key, `must be a duration: ${(error as Error).message}`);
      return NaN;
    }
  };
  const timeoutMs = duration('timeout', options.timeout);
  if (timeoutMs <= 0) problems.add('timeout', 'must be longer than 0 (e.g. 30s)');
  const digest =
    options.digest === undefined
      ? null
      : (problems.check(() => digestSchedule(options.digest as string)) ?? null);
  const scheduleMs = (options.retry ?? EMAIL_SCHEDULE).map((d, i) => duration(`retry[${i}]`, d));
  problems.throwIfAny();
  return {
    server: server!,
    from: options.from.trim(),
    domain: from!.slice(from!.lastIndexOf('@') + 1).toLowerCase(),
    to: list as string[],
    subjectPrefix: options.subjectPrefix ?? '[Spout]',
    digest,
    scheduleMs,
    timeoutMs,
    concurrency: options.concurrency ?? 2,
  };
}

function digestSchedule(value: string): DigestSchedule {
  const v = value.trim();
  if (/^\d/.test(v) && !v.includes(' ')) {
    let every: number;
    try {
      every = parseDuration(v);
    } catch {
      throw optionError(
        'digest',
        `must be a duration (1h, 1d) or a cron expression ("0 8 * * *"), not "${v}"`,
      );
    }
    if (every <= 0) throw optionError('digest', 'must be longer than 0 (e.g. 1h)');
    return { every };
  }
  if (!isCronExpression(v))
    throw optionError('digest', `must be a duration (1h, 1d) or a cron expression ("0 8 * * *"), not "${v}"`);
  return { cron: v };
}
