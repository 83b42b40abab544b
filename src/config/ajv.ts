import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { isCronExpression } from '../kernel/scheduler.js';
import { isDuration } from './durations.js';
import { LISTEN_FORMS, parseListenAddress } from './listen.js';

const addFormats = addFormatsModule.default;

/**
 * An ajv instance with Spout's keywords and formats: `secret` (annotation), `duration`,
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
  ajv.addFormat('duration', { type: 'string', validate: isDuration });
  ajv.addFormat('cron', { type: 'string', validate: isCronExpression });
  ajv.addFormat('listen', { type: 'string', validate: (v: string) => parseListenAddress(v).ok });
  return ajv;
}

const FORMAT_HINTS: Record<string, string> = {
  duration: 'a duration such as 30s, 5m, 1h or 7d',
  cron: 'a cron expression such as "*/5 * * * *"',
  listen: LISTEN_FORMS,
  uri: 'an absolute URL such as https://example.com/hook',
  email: 'an e-mail address',
};

/**
 * A readable message for one ajv error, and the key it is about (for unknown/missing keys). No
 * message repeats the value: it may have come from an environment variable.
 */
export function describeAjvError(error: ErrorObject): { message: string; key?: string; atKey?: boolean } {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return {
        message: `unknown key "${String(p.additionalProperty)}"`,
        key: String(p.additionalProperty),
        atKey: true,
      };
    case 'required':
      return {
        message: `missing required option "${String(p.missingProperty)}"`,
        key: String(p.missingProperty),
      };
    case 'enum':
      return { message: `must be one of: ${(p.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'format': {
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
