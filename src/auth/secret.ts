/** Shortest `auth.secret` accepted, in bytes (UTF-8): an HS256 key should be at least 256 bits. */
export const MIN_SECRET_BYTES = 32;

/**
 * Why `secret` cannot sign or check tokens, as a sentence for a configuration problem, or null
 * when it can. Never quotes the value.
 */
export function secretProblem(secret: string | undefined): string | null {
  if (secret === undefined || secret === '')
    return (
      'needs auth.secret, the key that signs and checks tokens: add `auth: { secret: "${SPOUT_AUTH_SECRET}" }` ' +
      `and set SPOUT_AUTH_SECRET to at least ${MIN_SECRET_BYTES} random bytes (e.g. \`openssl rand -base64 48\`)`
    );
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_SECRET_BYTES)
    return (
      `needs a longer auth.secret: it has ${bytes} bytes, HS256 needs at least ${MIN_SECRET_BYTES} ` +
      '(e.g. `openssl rand -base64 48`)'
    );
  return null;
}

/** The HS256 key for `secret` (check it with {@link secretProblem} first). */
export function signingKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}
