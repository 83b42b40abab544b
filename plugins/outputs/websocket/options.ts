import { Type, type Static } from '@sinclair/typebox';
import { parseDuration, problemList, Duration, secretProblem } from '../../../src/index.js';

export const WebSocketOptions = Type.Object({
  path: Type.String({
    default: '/ws',
    pattern: '^/[A-Za-z0-9/_.~-]*$',
    patternErrorMessage:
      'must be a path that starts with / and holds only letters, digits and / _ . ~ -, e.g. /ws',
    description: 'Path of the WebSocket endpoint on the shared HTTP server.',
  }),
  maxClients: Type.Integer({
    minimum: 1,
    default: 10_000,
    description: 'Most connections at once (authenticated or not); beyond it upgrades get 503.',
  }),
  maxPending: Type.Integer({
    minimum: 1,
    default: 1_000,
    description:
      'Most connections not yet authenticated at once; beyond it upgrades get 503 (so unauthenticated sockets cannot fill maxClients).',
  }),
  maxPendingPerIp: Type.Integer({
    minimum: 1,
    default: 10,
    description:
      'Most connections not yet authenticated from one IP address (IPv6: one /64) at once; beyond it upgrades get 429.',
  }),
  origins: Type.Optional(
    Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description:
        'Browser origins allowed to connect (e.g. https://desk.example.com; * for any). A request with another Origin header gets 403; programs that send none are not affected. Unset: any origin.',
    }),
  ),
  maxMessageBytes: Type.Integer({
    minimum: 256,
    maximum: 1_048_576,
    default: 16_384,
    description: 'Largest frame a client may send; a larger one closes that client (1009).',
  }),
  sendBufferBytes: Type.Integer({
    minimum: 16_384,
    default: 1_048_576,
    description:
      'Bytes waiting to be sent to one client beyond which it is dropped as too slow (never buffered without bound).',
  }),
  heartbeat: Duration({
    default: '30s',
    description: 'Ping interval; a client that has not answered the previous ping is dropped.',
  }),
  authTimeout: Duration({
    default: '5s',
    description: 'Time a client has to authenticate after connecting (closed with 4408 after it).',
  }),
  maxAuthFailures: Type.Integer({
    minimum: 1,
    maximum: 1_000,
    default: 10,
    description:
      'Failed authentications per IP address (IPv6: per /64) within any authFailureWindow; after them its connections are closed with 4429.',
  }),
  authFailureWindow: Duration({ default: '1m', description: 'Sliding window of maxAuthFailures.' }),
});

export type WebSocketOptionsType = Static<typeof WebSocketOptions>;

/** The options in the form the output uses (durations in ms, origins lower-cased). */
export interface ResolvedOptions {
  path: string;
  maxClients: number;
  maxPending: number;
  maxPendingPerIp: number;
  origins: Set<string> | null;
  maxMessageBytes: number;
  sendBufferBytes: number;
  heartbeatMs: number;
  authTimeoutMs: number;
  maxAuthFailures: number;
  authFailureWindowMs: number;
}

/**
 * Check what the schema cannot and convert durations. Throws `SPOUT_CONFIG_INVALID` located at
 * the option, or at the instance when `auth.secret` is missing or short or HTTP is off; one error
 * per problem, or one carrying all of them in `errors`.
 */
export function resolveOptions(
  options: Readonly<WebSocketOptionsType>,
  auth: Readonly<{ secret?: string }> | undefined,
  httpEnabled = true,
): ResolvedOptions {
  const problems = problemList();
  if (!httpEnabled)
    problems.add(
      null,
      `serves ${options.path} on the HTTP server, but http.enabled is false: set http.enabled: true (and http.listen)`,
    );
  const problem = secretProblem(auth?.secret);
  if (problem) problems.add(null, `(websocket output) ${problem}`);
  const duration = (key: string, value: string, min: number) => {
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch (error) {
      problems.add(key, `must be a duration: ${(error as Error).message}`);
      return NaN;
    }
    if (ms < min) problems.add(key, `must be at least ${min} ms`);
    return ms;
  };
  if (options.path.startsWith('/api') || options.path === '/health' || options.path === '/metrics')
    problems.add('path', `"${options.path}" is served by Spout itself; choose another path such as /ws`);
  const heartbeatMs = duration('heartbeat', options.heartbeat, 1000);
  const authTimeoutMs = duration('authTimeout', options.authTimeout, 100);
  const authFailureWindowMs = duration('authFailureWindow', options.authFailureWindow, 1000);
  problems.throwIfAny();
  return {
    path: options.path,
    maxClients: options.maxClients,
    maxPending: options.maxPending,
    maxPendingPerIp: options.maxPendingPerIp,
    origins: options.origins ? new Set(options.origins.map((o) => o.toLowerCase())) : null,
    maxMessageBytes: options.maxMessageBytes,
    sendBufferBytes: options.sendBufferBytes,
    heartbeatMs,
    authTimeoutMs,
    maxAuthFailures: options.maxAuthFailures,
    authFailureWindowMs,
  };
}
