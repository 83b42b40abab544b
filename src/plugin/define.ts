import type { TSchema } from '@sinclair/typebox';
import type { DetectorDefinition, InputDefinition, JobDefinition, OutputDefinition } from './types.js';

type WithoutKind<D> = Omit<D, 'kind'>;

/**
 * Define an input plugin. Identity helper for type inference: the options type comes from the
 * TypeBox schema.
 * @example
 * export default defineInput({ name: 'ticker', options: Type.Object({}), setup() {}, start(ctx) { … } });
 */
export function defineInput<S extends TSchema>(def: WithoutKind<InputDefinition<S>>): InputDefinition<S> {
  return Object.freeze({ ...def, kind: 'input' as const });
}

/** Define a detector plugin; see {@link DetectorDefinition}. */
export function defineDetector<S extends TSchema>(
  def: WithoutKind<DetectorDefinition<S>>,
): DetectorDefinition<S> {
  return Object.freeze({ ...def, kind: 'detector' as const });
}

/** Define an output plugin; see {@link OutputDefinition}. */
export function defineOutput<S extends TSchema>(def: WithoutKind<OutputDefinition<S>>): OutputDefinition<S> {
  return Object.freeze({ ...def, kind: 'output' as const });
}

/** Define a job plugin; see {@link JobDefinition}. */
export function defineJob<S extends TSchema>(def: WithoutKind<JobDefinition<S>>): JobDefinition<S> {
  return Object.freeze({ ...def, kind: 'job' as const });
}
