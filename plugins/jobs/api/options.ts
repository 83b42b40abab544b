import { Type, type Static } from '@sinclair/typebox';
import { parseDuration } from '../../../src/config/durations.js';
import { createError } from '../../../src/kernel/errors.js';
import { Duration } from '../../../src/plugin/schema.js';
import { secretProblem } from '../../../src/auth/secret.js';

export const ApiOptions = Type.Object({
  rateLimit: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 100,
    description:
      'Requests one IP address (IPv6: one /64) may make within any rateWindow; beyond it: 429 with Retry-After.',
  }),
  rateWindow: Duration({ default: '1m', description: 'Sliding window of rateLimit.' }),
  keep: Duration({
    default: '90d',
    description: 'How long the whale signals served by /api/whales/:txid are kept (like retention days).',
  }),
});
export type ApiOptionsType = Static<typeof ApiOptions>;

export interface ResolvedApiOptions {
  rateLimit: number;
  rateWindowMs: number;
  keepMs: number;
}

/** Check what the schema cannot; `auth.secret` must be set and long enough. */
export function resolveApiOptions(
  options: Readonly<ApiOptionsType>,
  instance: string,
  auth: Readonly<{ secret?: string }> | undefined,
): ResolvedApiOptions {
  const problem = secretProblem(auth?.secret);
  if (problem) throw createError('SPOUT_CONFIG_INVALID', `jobs.${instance} (REST API) ${problem}`);
  const duration = (key: string, value: string) => {
    const ms = parseDuration(value);
    if (ms < 1000)
      throw Object.assign(
        createError('SPOUT_CONFIG_INVALID', `jobs.${instance}.${key} must be at least 1s`),
        {
          optionPath: key,
        },
      );
    return ms;
  };
  return {
    rateLimit: options.rateLimit,
    rateWindowMs: duration('rateWindow', options.rateWindow),
    keepMs: duration('keep', options.keep),
  };
}
