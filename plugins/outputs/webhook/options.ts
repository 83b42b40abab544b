import { Type, type Static } from '@sinclair/typebox';
import { parseDuration, problemList, Duration, DEFAULT_SCHEDULE } from '../../../src/index.js';
import { isStandardSecret } from './sign.js';

/** `whsec_` and base64: what the config loader checks (with line and column). */
export const SECRET_PATTERN = '^whsec_[A-Za-z0-9+/=]+$';

const SECRET_HELP =
  'must be a Standard Webhooks secret: "whsec_" followed by base64 (24–64 bytes), e.g. whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw; make one with: echo "whsec_$(openssl rand -base64 32)"';

/**
 * One secret or a list (rotation: every request carries one signature per secret). A type list
 * rather than `anyOf`, so a wrong value gives one error, not three.
 */
const SecretOption = Type.Unsafe<string | string[]>({
  type: ['string', 'array'],
  pattern: SECRET_PATTERN,
  patternErrorMessage: SECRET_HELP,
  items: { type: 'string', pattern: SECRET_PATTERN, patternErrorMessage: SECRET_HELP, secret: true },
  minItems: 1,
  maxItems: 16,
  secret: true,
  description:
    'Signing secret "whsec_<base64>", or a list of them while rotating (one signature per secret).',
});

/** Headers the plugin sets itself: configured `headers` may not replace them. */
const RESERVED_HEADER = /^(webhook-.*|content-type|content-length|host)$/i;

export const WebhookOptions = Type.Object({
  url: Type.String({
    format: 'uri',
    pattern: '^https?://',
    patternErrorMessage: 'must be an absolute http:// or https:// URL, e.g. https://example.com/hook',
    description: 'Endpoint the envelopes are POSTed to (http or https).',
  }),
  secret: SecretOption,
  retry: Type.Array(Duration(), {
    default: [...DEFAULT_SCHEDULE],
    maxItems: 50,
    description:
      'Delays before each retry (±20% jitter); attempts = 1 + this many. After the last, the delivery is dead.',
  }),
  timeout: Duration({ default: '15s', description: 'Time limit of one request, response included.' }),
  concurrency: Type.Integer({
    minimum: 1,
    maximum: 64,
    default: 4,
    description: 'Requests in flight to this endpoint at most.',
  }),
  headers: Type.Record(Type.String(), Type.String(), {
    default: {},
    description: 'Extra request headers (not webhook-*, content-type, content-length or host).',
  }),
});

export type WebhookOptionsType = Static<typeof WebhookOptions>;

/** The options in the form the worker uses. */
export interface ResolvedOptions {
  url: string;
  secrets: string[];
  scheduleMs: number[];
  timeoutMs: number;
  concurrency: number;
  headers: Record<string, string>;
}

/**
 * Check what the schema cannot (the secret decodes to 24–64 bytes, no reserved header, a
 * positive timeout) and convert durations. Throws `SPOUT_CONFIG_INVALID` (exit status 2), one
 * error per problem or one carrying all of them in `errors`; no message ever contains a secret.
 */
export function resolveOptions(options: Readonly<WebhookOptionsType>): ResolvedOptions {
  const problems = problemList();
  const secrets = (Array.isArray(options.secret) ? [...options.secret] : [options.secret]) as unknown[];
  if (secrets.length === 0) problems.add('secret', SECRET_HELP);
  secrets.forEach((s, i) => {
    if (typeof s !== 'string' || !isStandardSecret(s))
      problems.add(Array.isArray(options.secret) ? `secret.${i}` : 'secret', SECRET_HELP);
  });
  let url: URL | undefined;
  try {
    url = new URL(options.url);
  } catch {
    // Reported below.
  }
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:')
    problems.add('url', 'must be an absolute http(s) URL such as https://example.com/hook');
  const duration = (key: string, value: string) => {
    try {
      return parseDuration(value);
    } catch (error) {
      problems.add(key, `must be a duration: ${(error as Error).message}`);
      return NaN;
    }
  };
  const timeoutMs = duration('timeout', options.timeout);
  if (timeoutMs <= 0) problems.add('timeout', 'must be longer than 0 (e.g. 15s)');
  const headers = { ...(options.headers ?? {}) };
  for (const name of Object.keys(headers)) {
    if (RESERVED_HEADER.test(name))
      problems.add(`headers.${name}`, 'is set by the webhook output itself and cannot be configured');
  }
  const concurrency = options.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
    problems.add('concurrency', 'must be an integer from 1 to 64');
  const scheduleMs = options.retry.map((d, i) => duration(`retry[${i}]`, d));
  problems.throwIfAny();
  return {
    url: url!.href,
    secrets: secrets as string[],
    scheduleMs,
    timeoutMs,
    concurrency,
    headers,
  };
}
