import { createError, isSpoutError, type SpoutError } from '../kernel/errors.js';

/** An option problem: a `SPOUT_CONFIG_INVALID` error located at one option (`scope.option`). */
export type OptionProblem = SpoutError;

/**
 * An error about one option of a plugin instance, for `validate`, `resolve` or `setup` to throw:
 * `path` is dotted from the instance's options (`retry.2`, `server.url`; `retry[2]` is accepted
 * too), or null for the instance as a whole. `message` says what is wrong and how to fix it,
 * without the option's name (the configuration loader places it: `FILE:LINE:COL
 * outputs.desk.retry.2  message`), never a secret's value. Code `SPOUT_CONFIG_INVALID` (exit 2).
 */
export function optionError(path: string | null, message: string): OptionProblem {
  const option = path === null ? undefined : path.replace(/\[(\d+)\]/g, '.$1');
  return createError('SPOUT_CONFIG_INVALID', message, option === undefined ? {} : { option });
}

/**
 * The option an error is located at: `scope.option` of an {@link optionError}, or the
 * `optionPath` property older plugins set; undefined for an error about the whole instance.
 */
export function optionOf(error: unknown): string | undefined {
  if (isSpoutError(error) && error.scope.option) return error.scope.option;
  const legacy = (error as { optionPath?: unknown } | null)?.optionPath;
  return typeof legacy === 'string' && legacy !== '' ? legacy : undefined;
}

/**
 * Collects the problems of one instance's options, so a plugin's `validate` or `resolve`
 * reports all of them in one pass instead of stopping at the first.
 */
export interface ProblemList {
  /**
   * Record a problem at option `key` (dotted, `retry.2`; `retry[2]` is accepted too), or at the
   * instance as a whole with `null`; see {@link optionError}.
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

/** A new, empty {@link ProblemList}. */
export function problemList(): ProblemList {
  const errors: Error[] = [];
  return {
    add(key, message) {
      errors.push(optionError(key, message));
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
      throw Object.assign(
        createError('SPOUT_CONFIG_INVALID', errors.map((e) => describeProblem(e)).join('; ')),
        { errors: [...errors] },
      );
    },
  };
}

/**
 * A problem's message with the option it is about in front (`retry.2 must be …`), for one line;
 * with `at` (`outputs.hook`), the full path from the configuration's top (`outputs.hook.retry.2`).
 */
export function describeProblem(error: Error, at?: string): string {
  const option = optionOf(error);
  return option ? `${at ? `${at}.` : ''}${option} ${error.message}` : error.message;
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
