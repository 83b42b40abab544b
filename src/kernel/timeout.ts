import { createError, type ErrorScope } from './errors.js';

/**
 * Run `fn` with a time limit. Resolves or rejects as `fn` does, or rejects with
 * `SPOUT_PLUGIN_TIMEOUT` naming the instance and phase when `ms` passes first (the late work is
 * abandoned, not awaited). A synchronous throw becomes a rejection.
 */
export async function withTimeout<T>(
  fn: () => T | Promise<T>,
  ms: number,
  scope: Required<Pick<ErrorScope, 'instance' | 'phase'>>,
  hint: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          createError(
            'SPOUT_PLUGIN_TIMEOUT',
            `${scope.phase} did not finish within ${ms} ms and was cut off. ${hint}`,
            scope,
          ),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([Promise.resolve().then(fn), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
