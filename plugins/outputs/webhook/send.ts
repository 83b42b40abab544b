import { performance } from 'node:perf_hooks';
import got, { TimeoutError } from 'got';
import type { SendResult } from '../../../src/index.js';

export interface PostRequest {
  url: string;
  /** The exact JSON text that was signed. */
  body: string;
  /** The signature headers and the configured extra headers. */
  headers: Record<string, string>;
  timeoutMs: number;
  /** Aborts the request (instance stopping). */
  signal: AbortSignal;
}

/** The outcome of one POST. */
export type PostResult = SendResult;

const USER_AGENT = 'Spout-Webhook/1';

/**
 * One POST. Never throws: a response of any status (redirects are not followed) or the error
 * that prevented one. got's own retries are off: the outbox retries on its schedule.
 */
export async function post(request: PostRequest): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  try {
    const response = await got.post(request.url, {
      body: request.body,
      headers: {
        'user-agent': USER_AGENT,
        ...request.headers,
        'content-type': 'application/json',
      },
      timeout: { request: request.timeoutMs },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      signal: request.signal,
    });
    const retryAfter = response.headers['retry-after'];
    return {
      statusCode: response.statusCode,
      ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
      latencyMs: elapsed(),
    };
  } catch (error) {
    const latencyMs = elapsed();
    if (request.signal.aborted) return { error: 'aborted: the output is stopping', latencyMs, aborted: true };
    if (error instanceof TimeoutError) return { error: `timed out after ${request.timeoutMs} ms`, latencyMs };
    const e = error as { code?: string; message?: string };
    const message = e.message ?? String(error);
    return { error: e.code && !message.includes(e.code) ? `${e.code}: ${message}` : message, latencyMs };
  }
}
