import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseListen } from '../http/server.js';
import { isCronExpression } from '../kernel/scheduler.js';
import { isDuration } from './durations.js';

const addFormats = addFormatsModule.default;

/**
 * An ajv instance with Spout's keywords and formats: `secret` (annotation), `duration`,
 * `cron`, `listen`, plus ajv-formats' (uri, email, …). All errors are collected; defaults fill in.
 */
export function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addKeyword({ keyword: 'secret', schemaType: 'boolean' });
  ajv.addFormat('duration', { type: 'string', validate: isDuration });
  ajv.addFormat('cron', { type: 'string', validate: isCronExpression });
  ajv.addFormat('listen', {
    type: 'string',
    validate: (v: string) => {
      try {
        const { port } = parseListen(v);
        return port >= 0 && port <= 65535;
      } catch {
        return false;
      }
    },
  });
  return ajv;
}

const FORMAT_HINTS: Record<string, string> = {
  duration: 'a duration such as 30s, 5m, 1h or 7d',
  cron: 'a cron expression such as "*/5 * * * *"',
  listen: 'host:port, e.g. 127.0.0.1:8080',
  uri: 'an absolute URL such as https://example.com/hook',
  email: 'an e-mail address',
};

/** A readable message for one ajv error, and the key it is about (for unknown/missing keys). */
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
    case 'format':
      return { message: `must be ${FORMAT_HINTS[String(p.format)] ?? `in format "${String(p.format)}"`}` };
    case 'type':
      return { message: `must be ${String(p.type).replace(',', ' or ')}` };
    default:
      return { message: error.message ?? `fails ${error.keyword}` };
  }
}
