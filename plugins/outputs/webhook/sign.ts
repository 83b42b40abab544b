import { Webhook } from 'standardwebhooks';

const PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * True for a Standard Webhooks secret: `whsec_` and canonical (padded) base64 of 24 to 64
 * bytes, which the `standardwebhooks` package accepts.
 */
export function isStandardSecret(secret: string): boolean {
  if (!secret.startsWith(PREFIX)) return false;
  const b64 = secret.slice(PREFIX.length);
  if (!BASE64.test(b64) || b64.length % 4 !== 0) return false;
  const bytes = Buffer.from(b64, 'base64');
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
 * once per instance; `sign` is then called for each attempt.
 */
export function createSigner(secrets: readonly string[]): {
  sign(id: string, at: Date, body: string): SignatureHeaders;
} {
  const keys = secrets.map((s) => new Webhook(s));
  return {
    sign(id, at, body) {
      return {
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        // Each is "v1,<base64 HMAC-SHA256 of id.timestamp.body>"; space-separated per the spec.
        'webhook-signature': keys.map((k) => k.sign(id, at, body)).join(' '),
      };
    },
  };
}
