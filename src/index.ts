/**
 * Spout's public API for plugin authors and embedders.
 * @example
 * import { defineOutput, Type } from 'spout';
 */
export { defineInput, defineDetector, defineOutput, defineJob } from './plugin/define.js';
export { StringEnum, Secret, Duration, Cron } from './plugin/schema.js';
export { Type } from '@sinclair/typebox';
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
export type * from './bus/events.js';
export type { Envelope, AnyEnvelope } from './bus/envelope.js';
export type { Store, Collection } from './store/port.js';
export type { Scheduler, Task } from './kernel/scheduler.js';
export type { HttpRoutes, RouteHandler, UpgradeHandler } from './http/server.js';
export { parseDuration } from './config/durations.js';
export { optionError, problemList, type OptionProblem, type ProblemList } from './plugin/problems.js';
export { createError, SpoutError, ERROR_CODES, type ErrorCode } from './kernel/errors.js';
