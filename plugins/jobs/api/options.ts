import { Type, type Static } from '@sinclair/typebox';
import { parseDuration, Duration, secretProblem, problemList } from '../../../src/index.js';

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

/**
 * Check what the schema cannot: `auth.secret` set and long enough, HTTP on, durations of at
 * least 1s. Throws every problem in one pass (see `problemList`).
 */
export function resolveOptions(
  options: Readonly<ApiOptionsType>,
  auth: Readonly<{ secret?: string }> | undefined,
  httpEnabled = true,
): ResolvedApiOptions {
  const problems = problemList();
  if (!httpEnabled)
    problems.add(
      null,
      'serves /api on the HTTP server, but http.enabled is false: set http.enabled: true (and http.listen)',
    );
  const problem = secretProblem(auth?.secret);
  if (problem) problems.add(null, `(REST API) ${problem}`);
  const duration = (key: string, value: string) => {
    try {
      const ms = parseDuration(value);
      if (ms < 1000) problems.add(key, 'must be at least 1s');
      return ms;
    } catch (error) {
      problems.add(key, `must be a duration: ${(error as Error).message}`);
      return NaN;
    }
  };
  const rateWindowMs = duration('rateWindow', options.rateWindow);
  const keepMs = duration('keep', options.keep);
  problems.throwIfAny();
  return { rateLimit: options.rateLimit, rateWindowMs, keepMs };
}
