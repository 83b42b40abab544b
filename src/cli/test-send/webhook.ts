import type { InstanceConfig } from '../../config/types.js';
import type { DeliveryAttempt } from '../../delivery/outbox/record.js';
import type { Outcome, TestRecords } from './outcome.js';

/** The outcome of a webhook test: the first attempt's HTTP status, or why there was none. */
export function webhookOutcome(where: string, attempt: DeliveryAttempt, records: TestRecords): Outcome {
  const delivered = attempt.outcome === 'delivered';
  const status = attempt.statusCode;
  const answer = status !== undefined ? `HTTP ${status}` : (attempt.error ?? 'failed');
  return {
    delivered,
    answer,
    latencyMs: attempt.latencyMs,
    ...(status !== undefined ? { statusCode: status } : {}),
    ...(attempt.error !== undefined ? { error: attempt.error } : {}),
    ...(delivered ? {} : { fix: webhookFix(where, status, attempt.error) }),
    records,
  };
}

/** What to do about a failed webhook attempt. */
function webhookFix(where: string, status: number | undefined, error: string | undefined): string {
  if (status === undefined) {
    if (/timed out/.test(error ?? ''))
      return `the receiver did not answer within ${where}.timeout; make it answer first and work afterwards, or raise ${where}.timeout`;
    return `nothing answered at ${where}.url (${error ?? 'no response'}); check the URL and that the receiver runs and is reachable from this machine`;
  }
  if (status === 401 || status === 403)
    return `the receiver refused the request: check that it verifies with the secret in ${where}.secret (any one of them while rotating), over the raw body, and that its clock is right (a timestamp more than 5 minutes off is refused)`;
  if (status === 404 || status === 405)
    return `the receiver has no such endpoint: check the path in ${where}.url`;
  if (status === 410)
    return `the receiver answered 410 Gone: a running spout disables the endpoint on it; fix ${where}.url and reload`;
  if (status >= 300 && status < 400)
    return `redirects are not followed: set ${where}.url to the address the receiver redirects to`;
  if (status === 408 || status === 429 || status >= 500)
    return `the receiver failed (HTTP ${status}): look at its logs; a running spout would retry on ${where}.retry`;
  return `the receiver refused the request (HTTP ${status}): look at its logs and at what it expects`;
}

/** Number of signing secrets of a webhook instance. */
export function secretsOf(instance: InstanceConfig): number {
  const secret = instance.options.secret;
  return Array.isArray(secret) ? secret.length : 1;
}

/** What the receiver of a delivered webhook test should know: its id and how it is signed. */
export function webhookNotes(instance: InstanceConfig, webhookId: string): string[] {
  const where = `outputs.${instance.name}`;
  const n = secretsOf(instance);
  return [
    `webhook-id: ${webhookId} (the receiver deduplicates on it; a test send always has a new one)`,
    `signed per Standard Webhooks with the ${n === 1 ? 'secret' : `${n} secrets`} of ${where}.secret: webhook-signature holds ${n === 1 ? 'one v1,… signature' : `${n} v1,… signatures, one per secret; any one verifies`}`,
    `verify on the receiver: new Webhook(secret).verify(rawBody, headers) (package standardwebhooks); the body carries "test": true`,
  ];
}
