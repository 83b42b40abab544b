/**
 * What a failed chat API call means for the message:
 * - `retry`: the platform did not take it (rate limit beyond the plugin's own waits, 503,
 *   connection refused, no DNS answer, a TLS handshake that failed, aborted while waiting): try
 *   again on the schedule. Other 5xx are `retry` for an edit but taken as `ambiguous` for a
 *   post by the worker.
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

/**
 * TLS failures that can only happen during the handshake, before a byte of the request is
 * written: a certificate that does not verify (OpenSSL's verify codes as Node reports them, and
 * Node's host name check), a server that does not speak TLS, a handshake that timed out. The
 * platform cannot have seen the request.
 */
const TLS_HANDSHAKE = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_TLS_HANDSHAKE_TIMEOUT',
]);

type Chained = { code?: unknown; message?: unknown; cause?: unknown; error?: unknown } | undefined;

/** The error code of a network error or of its cause chain (node-fetch, undici), if any. */
export function networkCode(error: unknown): string | undefined {
  for (let e = error as Chained, i = 0; e && i < 5; i++) {
    if (
      typeof e.code === 'string' &&
      (/^(E[A-Z_]+|UND_ERR_[A-Z_]+)$/.test(e.code) || TLS_HANDSHAKE.has(e.code))
    )
      return e.code;
    e = (e.cause ?? e.error) as Chained;
  }
  return undefined;
}

/** Every message of the error's cause chain, joined. */
function messages(error: unknown): string {
  const found: string[] = [];
  for (let e = error as Chained, i = 0; e && i < 5; i++) {
    if (typeof e.message === 'string') found.push(e.message);
    e = (e.cause ?? e.error) as Chained;
  }
  return found.join(' / ');
}

/**
 * True when the code says the TLS handshake failed. Node reports a server that answers the TLS
 * hello in plain text as `EPROTO` (…`wrong version number`) on its own client: that one is told
 * apart by its OpenSSL reason, since `EPROTO` alone may come later in a connection too.
 */
function handshakeFailed(code: string, error: unknown): boolean {
  return TLS_HANDSHAKE.has(code) || (code === 'EPROTO' && /wrong version number/i.test(messages(error)));
}

/**
 * A message without URLs: some client errors quote the request URL, which holds the bot token
 * (Telegram) or the webhook token (Discord).
 */
function withoutUrls(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<the API URL>');
}

/**
 * `retry` when the connection never got through (refused, no DNS answer, a TLS handshake that
 * failed), else `ambiguous`: the request may have been written and acted on.
 */
export function networkFailure(error: unknown, what: string): ChatFailure {
  const code = networkCode(error);
  if (code && handshakeFailed(code, error))
    return { kind: 'retry', message: `${what}: TLS handshake failed (${code})` };
  const reason = code ?? withoutUrls(error instanceof Error ? error.message : String(error));
  return code && NOT_SENT.has(code)
    ? { kind: 'retry', message: `${what}: ${reason}` }
    : { kind: 'ambiguous', message: `${what}: ${reason}` };
}
