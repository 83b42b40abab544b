import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { isCronExpression } from '../kernel/scheduler.js';
import { isDuration } from './durations.js';
import { LISTEN_FORMS, parseListenAddress } from './listen.js';
import { didYouMean } from './suggest.js';

const addFormats = addFormatsModule.default;

/**
 * An ajv instance with Spout's keywords and formats: `secret` and `patternErrorMessage`
 * (annotations), `duration`,
 * `cron`, `listen`, plus ajv-formats' (uri, email, …). All errors are collected; defaults fill in.
 */
export function createAjv(): Ajv {
  // verbose: errors carry the value, so a message can say why it is wrong (never what it is).
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    strict: false,
    allowUnionTypes: true,
    verbose: true,
  });
  addFormats(ajv);
  ajv.addKeyword({ keyword: 'secret', schemaType: 'boolean' });
  // Words for what a value with a `pattern` must be (also read by VS Code and yaml-language-server).
  ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
  ajv.addFormat('duration', { type: 'string', validate: isDuration });
  ajv.addFormat('cron', { type: 'string', validate: isCronExpression });
  ajv.addFormat('listen', { type: 'string', validate: (v: string) => parseListenAddress(v).ok });
  ajv.addFormat('redis-url', { type: 'string', validate: isRedisUrl });
  return ajv;
}

const FORMAT_HINTS: Record<string, string> = {
  duration: 'a duration such as 30s, 5m, 1h or 7d',
  cron: 'a cron expression such as "*/5 * * * *"',
  listen: LISTEN_FORMS,
  uri: 'an absolute URL such as https://example.com/hook',
  email: 'an e-mail address',
  'redis-url': 'a Redis URL such as redis://127.0.0.1:6379 or rediss://:password@redis.example:6380/0',
};

/** redis:// or rediss:// with a host (what ioredis takes). */
function isRedisUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Words for patterns used without a `patternErrorMessage` of their own. */
const PATTERN_HINTS: Record<string, string> = {
  '^https?://': 'must be an http:// or https:// URL, e.g. https://example.com',
  '^wss?://': 'must be a ws:// or wss:// URL, e.g. wss://mempool.space/api/v1/ws',
};

/** Why an instance name (a key under inputs:, detectors:, outputs: or jobs:) is refused. */
export const instanceNameMessage = (name: string) =>
  `instance name "${name}" must start with a letter or digit and hold only letters, digits, _ . and - (e.g. desk-webhook)`;

/**
 * Words for a `pattern` the value does not match: the schema's `patternErrorMessage`, a known
 * pattern's, or (for a plugin that gave none) the pattern itself.
 */
function patternMessage(error: ErrorObject): string {
  const own = (error.parentSchema as { patternErrorMessage?: unknown } | undefined)?.patternErrorMessage;
  if (typeof own === 'string') return own;
  const pattern = String((error.params as { pattern?: unknown }).pattern);
  return PATTERN_HINTS[pattern] ?? `must match the pattern ${pattern}`;
}

/**
 * A readable message for one ajv error, and the key it is about (for unknown/missing keys). No
 * message repeats the value: it may have come from an environment variable. (A key is not a
 * value: an instance name that is refused is quoted.)
 */
export function describeAjvError(error: ErrorObject): { message: string; key?: string; atKey?: boolean } {
  const p = error.params as Record<string, unknown>;
  // A key refused by `propertyNames` (instance names): ajv reports the failed check on the key
  // and then `propertyNames` itself; both read the same, so the two become one problem.
  const badKey =
    (error as { propertyName?: unknown }).propertyName ??
    (error.keyword === 'propertyNames' ? p.propertyName : undefined);
  if (typeof badKey === 'string') {
    const section = /^\/(inputs|detectors|outputs|jobs)$/.test(error.instancePath);
    return {
      message: section ? instanceNameMessage(badKey) : `key "${badKey}" is not allowed here`,
      key: badKey,
      atKey: true,
    };
  }
  switch (error.keyword) {
    case 'additionalProperties': {
      const known = Object.keys(
        (error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {},
      );
      return {
        message: `unknown key "${String(p.additionalProperty)}"${didYouMean(String(p.additionalProperty), known)}`,
        key: String(p.additionalProperty),
        atKey: true,
      };
    }
    case 'required':
      return {
        message: `missing required option "${String(p.missingProperty)}"`,
        key: String(p.missingProperty),
      };
    case 'enum':
      return { message: `must be one of: ${(p.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'pattern':
      return { message: patternMessage(error) };
    case 'format': {
      // A value with both a format and a described pattern: one message for both failures.
      const own = (error.parentSchema as { patternErrorMessage?: unknown } | undefined)?.patternErrorMessage;
      if (typeof own === 'string') return { message: own };
      const hint = `must be ${FORMAT_HINTS[String(p.format)] ?? `in format "${String(p.format)}"`}`;
      const parsed =
        p.format === 'listen' && typeof error.data === 'string' ? parseListenAddress(error.data) : null;
      return { message: parsed && !parsed.ok ? `${hint}; ${parsed.reason}` : hint };
    }
    case 'type':
      return { message: `must be ${String(p.type).replace(',', ' or ')}` };
    default:
      return { message: error.message ?? `fails ${error.keyword}` };
  }
}
