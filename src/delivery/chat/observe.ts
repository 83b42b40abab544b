import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { counter, gauge } from '../../plugin/metrics.js';
import type { HealthState } from '../../plugin/types.js';

export type ChatAction = 'post' | 'edit';
export type ChatOutcomeLabel = 'ok' | 'retry' | 'dead' | 'unknown' | 'skipped';

/** Metrics and health of one chat output instance. */
export interface ChatObserver {
  result(action: ChatAction, outcome: ChatOutcomeLabel): void;
  pending(n: number): void;
  /** A failure that later attempts may cure (degraded, unless unhealthy). */
  degraded(reason: string): void;
  /** Sending stopped until a reload (bad token, deleted webhook). */
  unhealthy(reason: string): void;
  /** A message went through: healthy again unless unhealthy. */
  ok(): void;
  readonly state: HealthState;
}

export function createChatObserver(deps: {
  instance: string;
  channel: 'telegram' | 'discord';
  metrics: Registry;
  health: { set(state: HealthState, reason?: string): void };
  log: Logger;
}): ChatObserver {
  const { instance, channel } = deps;
  const messages = counter(
    deps.metrics,
    'spout_chat_messages_total',
    'Chat API calls by action (post, edit) and outcome (ok, retry, dead, unknown, skipped).',
    ['instance', 'channel', 'action', 'outcome'],
  );
  const pending = gauge(deps.metrics, 'spout_chat_pending', 'Chat posts and edits waiting.', [
    'instance',
    'channel',
  ]);
  let state: HealthState = 'healthy';
  const set = (next: HealthState, reason?: string) => {
    state = next;
    deps.health.set(next, reason);
  };
  return {
    result(action, outcome) {
      messages.inc({ instance, channel, action, outcome });
    },
    pending(n) {
      pending.set({ instance, channel }, n);
    },
    degraded(reason) {
      if (state !== 'unhealthy') set('degraded', reason);
    },
    unhealthy(reason) {
      set('unhealthy', reason);
    },
    ok() {
      if (state === 'degraded') set('healthy');
    },
    get state() {
      return state;
    },
  };
}
