import type { Static, TSchema } from '@sinclair/typebox';
import type { EventType } from '../bus/events.js';
import type { DetectorDefinition, InputDefinition, JobDefinition, OutputDefinition } from './types.js';

type WithoutKind<D> = Omit<D, 'kind'>;

/**
 * Define an input plugin. Identity helper for type inference: the options type comes from the
 * TypeBox schema, or from what `resolve` returns when the definition has one.
 * @example
 * export default defineInput({
 *   name: 'ticker',
 *   options: Type.Object({ every: Type.Number() }),
 *   setup(ctx) {
 *     let timer: NodeJS.Timeout | undefined;
 *     return { start: () => void (timer = setInterval(tick, ctx.options.every)), stop: () => clearInterval(timer) };
 *   },
 * });
 */
export function defineInput<S extends TSchema, R = Static<S>, const E extends EventType = EventType>(
  def: WithoutKind<InputDefinition<S, R, E>>,
): InputDefinition<S, R, E> {
  return Object.freeze({ ...def, kind: 'input' as const });
}

/** Define a detector plugin; see {@link DetectorDefinition}. */
export function defineDetector<S extends TSchema, R = Static<S>, const E extends EventType = EventType>(
  def: WithoutKind<DetectorDefinition<S, R, E>>,
): DetectorDefinition<S, R, E> {
  return Object.freeze({ ...def, kind: 'detector' as const });
}

/** Define an output plugin; see {@link OutputDefinition}. */
export function defineOutput<S extends TSchema, R = Static<S>, const E extends EventType = EventType>(
  def: WithoutKind<OutputDefinition<S, R, E>>,
): OutputDefinition<S, R, E> {
  return Object.freeze({ ...def, kind: 'output' as const });
}

/** Define a job plugin; see {@link JobDefinition}. */
export function defineJob<S extends TSchema, R = Static<S>, const E extends EventType = EventType>(
  def: WithoutKind<JobDefinition<S, R, E>>,
): JobDefinition<S, R, E> {
  return Object.freeze({ ...def, kind: 'job' as const });
}
