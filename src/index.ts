/**
 * Spout's public API, grouped by who needs it (as grammY's `mod.ts` is). Everything a built-in
 * plugin uses is here: a third-party plugin can do what the webhook or websocket output does
 * (a test keeps `plugins/**` importing `src/` through this file only).
 * @example
 * import { defineOutput, Type } from 'spout';
 */

// ── For every plugin author ───────────────────────────────────────────────────────────────────
// Defining a plugin, its options and its errors.
export { defineInput, defineDetector, defineOutput, defineJob } from './plugin/define.js';
export { StringEnum, Secret, Duration, Cron } from './plugin/schema.js';
export { Type } from '@sinclair/typebox';
export { optionError, problemList, type OptionProblem, type ProblemList } from './plugin/problems.js';
export { createError, SpoutError, ERROR_CODES, type ErrorCode } from './kernel/errors.js';
export { parseDuration } from './config/durations.js';
export type {
  PluginKind,
  PluginContext,
  PluginDefinition,
  InputDefinition,
  DetectorDefinition,
  DetectorHooks,
  InstanceHandle,
  OptionsContext,
  OutputDefinition,
  OutputHooks,
  JobDefinition,
  ScopedBus,
  EventPattern,
  HealthState,
} from './plugin/types.js';
// The events, their envelopes and ids.
export type * from './bus/events.js';
export type * from './bus/catalogue.js';
export { EVENT_TYPES } from './bus/catalogue.js';
export { eventId, type Envelope, type AnyEnvelope } from './bus/envelope.js';
// What the context hands out.
export type { Store, Collection } from './store/port.js';
export type { Scheduler, Task } from './kernel/scheduler.js';
export { isCronExpression } from './kernel/scheduler.js';
export type { HttpRoutes, RouteHandler, UpgradeHandler } from './http/server.js';
export { sendJson } from './http/server.js';
export { counter, gauge, histogram } from './plugin/metrics.js';
export { createLru } from './plugin/lru.js';
export type { MemoryLevel, MemoryPressure } from './kernel/memory.js';
// The process's own figures (memory against its limit, event-loop lag), for status pages.
export {
  createLagMonitor,
  memoryFigures,
  type LagFigures,
  type LagMonitor,
  type MemoryFigures,
} from './kernel/process-figures.js';

// ── For outputs: routing, and delivering as the built-ins do ──────────────────────────────────
export { createFilter, entityKey, eventMatcher } from './kernel/routing.js';
export { EVENT_PATTERNS, FilterSchema, type Filter } from './config/kernel-schema.js';
// The durable outbox (webhook, e-mail): at-least-once, retried, dead letters.
export { createOutboxWorker } from './delivery/outbox/worker.js';
export { createOutboxObserver } from './delivery/outbox/observe.js';
export {
  DEFAULT_SCHEDULE,
  type AttemptResult,
  type SendResult,
  type Verdict,
} from './delivery/outbox/policy.js';
export type { DeliveryAttempt, DeliveryStatus, OutboxRecord } from './delivery/outbox/record.js';
// Chat messages (Telegram, Discord): posted once, edited in place when the whale settles.
export { createChatInstance, type ChatClient } from './delivery/chat/instance.js';
export { networkFailure, type ChatFailure } from './delivery/chat/failure.js';
export { chatOptions, resolveChatOptions } from './delivery/chat/options.js';
export type { ChatMessageRecord } from './delivery/chat/record.js';
export { fillTemplate, parseTemplate, type Template } from './delivery/chat/template.js';
export { noticeText, recordView, SAMPLE_VIEW, type Placeholder, type View } from './delivery/chat/view.js';
// What an alert says, in words, the same in every output.
export { amountText, btcAmount, flowText, transferredOf, UNKNOWN_WALLET } from './delivery/describe.js';
export { etaText } from './delivery/eta-text.js';
// `spout test OUTPUT` marks its sample events.
export { isTestEnvelope, TEST_LABEL } from './delivery/test-marker.js';

// ── For plugins that serve subscribers (tokens, rate limits) ──────────────────────────────────
export { verifyToken, type RefusalReason, type TokenClaims, type Verification } from './auth/tokens.js';
export { secretProblem } from './auth/secret.js';
export { addressKey } from './auth/address.js';
export { createRateLimiter, type LimitOptions, type RateLimiter } from './auth/rate-limit.js';
export type { RevocationListener, TokenHub, TokenService } from './auth/hub.js';

// ── For jobs: the records the built-in jobs keep, and statistics ──────────────────────────────
export {
  COLLECTIONS,
  type OutcomeRecord,
  type OutcomeStatus,
  type PredictionRecord,
  type TokenRecord,
} from './store/records.js';
export { aggregate } from './stats/aggregate.js';
export { parseSince } from './stats/since.js';

// ── For embedders: run a pipeline in your own process (the built-in catalogue: 'spout/plugins') ─
export { createKernel, type Kernel, type KernelOptions } from './kernel/kernel.js';
export { loadConfig, parseConfig, ConfigError, type LoadOptions } from './config/load.js';
export type { SpoutConfig, InstanceConfig } from './config/types.js';
export { createLogger } from './log/logger.js';
export { createMemoryStore } from './store/memory.js';
export { openLowdbStore } from './store/lowdb.js';

// ── Advanced: catalogues of plugins by name, networking helpers the live inputs use ───────────
export { EMPTY_CATALOGUE, type PluginCatalogue, type PluginLoader } from './plugin/catalogue.js';
export { createCancellableLookup, type CancellableLookup } from './net/lookup.js';

// ── Advanced: embedding the kernel (see docs/embedding.md) ────────────────────────────────────
export type { KernelEventMap, KernelEvents, KernelListener } from './kernel/events.js';
