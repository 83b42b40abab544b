import { createError, type SpoutError } from '../kernel/errors.js';

/** An option problem: an Error whose message starts with the option's key path. */
export type OptionProblem = SpoutError & { optionPath?: string };

/**
 * Collects the problems of one instance's options, so a plugin's `validate` (and its setup)
 * reports all of them in one pass instead of stopping at the first.
 */
export interface ProblemList {
  /**
   * Record a problem at option `key` (dotted, `retry.2`; `retry[2]` is accepted too), or at the
   * instance as a whole with `null`. `message` says what is wrong and how to fix it, never a
   * secret's value.
   */
  add(key: string | null, message: string): void;
  /**
   * Run a check that throws (an option-located Error, or one carrying several in `errors`):
   * what it throws is recorded and `undefined` returned, so the next check still runs.
   */
  check<T>(fn: () => T): T | undefined;
  /** How many problems were recorded. */
  readonly size: number;
  /**
   * Throw what was recorded, if anything: the one error, or a `SPOUT_CONFIG_INVALID` error
   * whose `errors` holds every problem (its message joins theirs with "; ").
   */
  throwIfAny(): void;
}

/** A {@link ProblemList} for the instance at `prefix` (`outputs.desk`). */
export function problemList(prefix: string): ProblemList {
  const errors: Error[] = [];
  return {
    add(key, message) {
      const optionPath = key === null ? undefined : key.replace(/\[(\d+)\]/g, '.$1');
      const error = createError(
        'SPOUT_CONFIG_INVALID',
        `${prefix}${key === null ? '' : `.${key}`} ${message}`,
      ) as OptionProblem;
      if (optionPath !== undefined) error.optionPath = optionPath;
      errors.push(error);
    },
    check(fn) {
      try {
        return fn();
      } catch (error) {
        errors.push(...problemsOf(error));
        return undefined;
      }
    },
    get size() {
      return errors.length;
    },
    throwIfAny() {
      if (errors.length === 0) return;
      if (errors.length === 1) throw errors[0];
      throw Object.assign(createError('SPOUT_CONFIG_INVALID', errors.map((e) => e.message).join('; ')), {
        errors: [...errors],
      });
    },
  };
}

/**
 * The problems a thrown value stands for: the `errors` of one that carries several (such as an
 * `AggregateError` or what {@link ProblemList.throwIfAny} throws), else the value itself.
 */
export function problemsOf(error: unknown): Error[] {
  const list = (error as { errors?: unknown } | null)?.errors;
  if (Array.isArray(list) && list.length > 0 && list.every((e) => e instanceof Error))
    return list.flatMap(problemsOf);
  return [error instanceof Error ? error : new Error(String(error))];
}
