/**
 * What a failed chat API call means for the message:
 * - `retry`: the platform did not take it (rate limit beyond the plugin's own waits, 503,
 *   connection refused, aborted while waiting): try again on the schedule. Other 5xx are
 *   `retry` for an edit but taken as `ambiguous` for a post by the worker.
 * - `ambiguous`: the request may have reached the platform (timeout, connection reset): a post
 *   is never repeated (it becomes `unknown`); an edit is (edits are idempotent).
 * - `refused`: the platform refused this message (4xx: bad request, chat not found, no rights).
 * - `unauthorized`: the token is not valid: the instance stops sending until reloaded.
 * - `gone`: the destination no longer exists (a deleted Discord webhook): likewise.
 * - `not-modified`: an edit that changes nothing; a success.
 * - `missing`: the message to edit was deleted; the edit is given up.
 */
export type FailureKind =
  'retry' | 'ambiguous' | 'refused' | 'unauthorized' | 'gone' | 'not-modified' | 'missing';

export interface ChatFailure {
  kind: FailureKind;
  /** Readable, without secrets (the token is never in it). */
  message: string;
  /** The platform asked to wait this long before trying again. */
  retryAfterMs?: number;
  status?: number;
}

/** Error codes of a connection that never reached the server: nothing can have been posted. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The error code of a network error or of its cause chain (node-fetch, undici), if any. */
export function networkCode(error: unknown): string | undefined {
  for (
    let e = error as { code?: unknown; cause?: unknown; error?: unknown } | undefined, i = 0;
    e && i < 5;
    i++
  ) {
    if (typeof e.code === 'string' && /^(E[A-Z_]+|UND_ERR_[A-Z_]+)$/.test(e.code)) return e.code;
    e = (e.cause ?? e.error) as typeof e;
  }
  return undefined;
}

/** `retry` when the connection never got through, else `ambiguous`. */
export function networkFailure(error: unknown, what: string): ChatFailure {
  const code = networkCode(error);
  const reason = code ?? (error instanceof Error ? error.message : String(error));
  return code && NOT_SENT.has(code)
    ? { kind: 'retry', message: `${what}: ${reason}` }
    : { kind: 'ambiguous', message: `${what}: ${reason}` };
}
