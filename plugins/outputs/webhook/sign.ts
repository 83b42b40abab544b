import { createHmac, createSecretKey } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

const PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The key bytes of a `whsec_` secret: its base64 after the prefix, decoded. */
const keyOf = (secret: string): Buffer => Buffer.from(secret.slice(PREFIX.length), 'base64');

/**
 * True for a Standard Webhooks secret: `whsec_` and canonical (padded) base64 of 24 to 64
 * bytes, which the `standardwebhooks` package accepts.
 */
export function isStandardSecret(secret: string): boolean {
  if (!secret.startsWith(PREFIX)) return false;
  const b64 = secret.slice(PREFIX.length);
  if (!BASE64.test(b64) || b64.length % 4 !== 0) return false;
  const bytes = keyOf(secret);
  if (bytes.length < 24 || bytes.length > 64 || bytes.toString('base64') !== b64) return false;
  try {
    new Webhook(secret);
    return true;
  } catch {
    return false;
  }
}

/** The three Standard Webhooks headers of one request. */
export interface SignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Sign with every secret: a receiver that knows any one of them verifies (rotation). Build it
 * once per instance; `sign` is then called for each attempt. `secrets` are Standard Webhooks
 * secrets ({@link isStandardSecret}, which the options check at boot).
 *
 * The HMAC is node:crypto's, not the `standardwebhooks` package's `sign`: the same bytes (a test
 * compares them), but the package hashes in JavaScript, 13–14 µs per signature of a 681-byte
 * body against 2.2–2.6 µs (about a twentieth of a delivery's time in the webhook benchmark).
 * The package stays for checking secrets and is what receivers (and Spout's tests) verify with.
 */
export function createSigner(secrets: readonly string[]): {
  sign(id: string, at: Date, body: string): SignatureHeaders;
} {
  // Key objects made once: a Buffer key is copied into a new one by every createHmac.
  const keys = secrets.map((s) => createSecretKey(keyOf(s)));
  return {
    sign(id, at, body) {
      const timestamp = String(Math.floor(at.getTime() / 1000));
      // Each is "v1,<base64 HMAC-SHA256 of id.timestamp.body>"; space-separated per the spec.
      const signed = `${id}.${timestamp}.${body}`;
      return {
        'webhook-id': id,
        'webhook-timestamp': timestamp,
        'webhook-signature': keys
          .map((key) => 'v1,' + createHmac('sha256', key).update(signed).digest('base64'))
          .join(' '),
      };
    },
  };
}
