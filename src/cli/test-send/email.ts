import type { DeliveryAttempt, OutboxRecord } from '../../delivery/outbox/record.js';
import type { Outcome, TestRecords } from './outcome.js';

/** The outcome of an e-mail test: the SMTP server's answer to the first attempt. */
export function emailOutcome(
  where: string,
  rec: OutboxRecord,
  attempt: DeliveryAttempt,
  records: TestRecords,
): Outcome {
  const delivered = attempt.outcome === 'delivered';
  let messageId = '';
  try {
    messageId = (JSON.parse(rec.body) as { messageId?: string }).messageId ?? '';
  } catch {
    // Not a stored mail: said without its Message-ID.
  }
  return {
    delivered,
    answer: delivered
      ? `accepted by the SMTP server${messageId ? ` (Message-ID ${messageId})` : ''}`
      : (attempt.error ?? 'failed'),
    latencyMs: attempt.latencyMs,
    ...(attempt.error !== undefined ? { error: attempt.error } : {}),
    ...(delivered
      ? {}
      : {
          fix: `check ${where}: smtp (server, port, user and password), starttls, from and to; the SMTP server's answer above says which`,
        }),
    records,
  };
}
