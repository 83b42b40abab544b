/**
 * The marker of a test delivery (`spout test OUTPUT`): the sample envelope carries
 * `test: true` next to its id, type, time, source and data (a webhook receiver sees it in the
 * body), and every output shows {@link TEST_LABEL} on what it sends. Records made for it (the
 * outbox record, the chat message record) carry `test: true` too, so `spout deliveries` can tell
 * it from a real alert.
 */
export const TEST_LABEL = 'TEST — sample alert from spout test';

/** True for an envelope (or any deliverable) sent by `spout test`. */
export function isTestEnvelope(envelope: unknown): boolean {
  return typeof envelope === 'object' && envelope !== null && (envelope as { test?: unknown }).test === true;
}
