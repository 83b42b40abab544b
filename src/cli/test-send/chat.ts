import { performance } from 'node:perf_hooks';
import type { InstanceConfig } from '../../config/types.js';
import type { ChatMessageRecord, TargetState } from '../../delivery/chat/record.js';
import { DISCORD } from './discord.js';
import type { Outcome, TestRecords } from './outcome.js';
import { TELEGRAM } from './telegram.js';

/** Outputs whose deliveries are chat messages (a whale's outcome edits its message). */
export const CHAT = new Set(['telegram', 'discord']);

/** What a chat output's test report says that depends on its platform. */
export interface ChatPlatform {
  /** The platform as an answer names it: `Telegram`, `Discord`. */
  name: string;
  /** Who posts, as in "the bot may not post there". */
  poster: string;
  /** What to fix when the platform rejected the credentials. */
  rejectedFix(where: string): string;
  /** What to fix when the chat (or webhook) does not exist. */
  notFoundFix(where: string): string;
}

// Any chat output other than Telegram's is reported as Discord's.
const platformOf = (use: string): ChatPlatform => (use === 'telegram' ? TELEGRAM : DISCORD);

/** A chat's copy is settled: shows the record's latest version, or was given up. */
export const isSettled = (rec: ChatMessageRecord, t: TargetState) =>
  (t.status === 'posted' && t.syncedVersion >= rec.version) || t.status === 'dead' || t.status === 'unknown';

/** The chat record as kept: no copy left to post (a running spout must not post a test). */
export function finalChat(rec: ChatMessageRecord, waitMs: number): ChatMessageRecord {
  const targets = Object.fromEntries(
    Object.entries(rec.targets).map(([chat, t]) => [
      chat,
      t.status === 'pending' || t.status === 'sending'
        ? {
            ...t,
            status: 'dead' as const,
            nextAttemptAt: null,
            lastError: t.lastError ?? `not posted within ${Math.round(waitMs / 1000)} s (spout test)`,
          }
        : t,
    ]),
  );
  return { ...rec, targets, test: true };
}

/**
 * The outcome of a chat test (Telegram, Discord): every chat's copy posted, or why not.
 * `disabled` is the reason the instance was disabled meanwhile, if it was.
 */
export function chatOutcome(
  instance: InstanceConfig,
  rec: ChatMessageRecord,
  disabled: string | null,
  started: number,
  records: TestRecords,
): Outcome {
  const where = `outputs.${instance.name}`;
  const platform = platformOf(instance.use);
  const latencyMs = performance.now() - started;
  const targets = Object.entries(rec.targets);
  const failed = targets.filter(([, t]) => t.status !== 'posted');
  const delivered = disabled === null && failed.length === 0;
  const say = ([chat, t]: [string, TargetState]) =>
    t.status === 'posted'
      ? `posted to ${chatName(chat)} as message ${t.messageId}`
      : `${t.status === 'unknown' ? 'may not have arrived at' : 'not posted to'} ${chatName(chat)}: ${t.lastError ?? disabled ?? t.status}`;
  // Disabled before anything was posted (a rejected token or a deleted webhook): its reason says it all.
  const answer =
    disabled !== null && failed.length > 0 && failed.every(([, t]) => t.status === 'pending')
      ? `${platform.name}: ${disabled}`
      : targets.map(say).join('; ');
  if (delivered) return { delivered, answer, latencyMs, records };
  const why = disabled ?? failed.map(([, t]) => t.lastError ?? t.status).join('; ');
  return { delivered, answer, latencyMs, error: why, fix: chatFix(where, platform, why), records };
}

/** A chat as the record keys it: a Telegram chat, a Discord channel, or Discord's `webhook`. */
const chatName = (chat: string) => (chat === 'webhook' ? 'the webhook' : `chat ${chat}`);

function chatFix(where: string, platform: ChatPlatform, why: string): string {
  if (/unauthori[sz]ed|401|invalid token|token/i.test(why)) return platform.rejectedFix(where);
  if (/not found|404|unknown (webhook|channel)|10015|10003/i.test(why)) return platform.notFoundFix(where);
  if (/forbidden|403|rights|permission|not enough/i.test(why))
    return `the ${platform.poster} may not post there: give it the right to post (an admin of a channel)`;
  if (/too many requests|429|rate/i.test(why))
    return 'the platform rate-limited the request; try again in a minute';
  return `check ${where} (token, chat or webhook URL) and that the API is reachable from this machine`;
}
