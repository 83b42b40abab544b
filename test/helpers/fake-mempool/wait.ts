/**
 * Poll `check` every few milliseconds until it returns a value other than undefined / null / false, and
 * resolve with that value; reject after `ms` with an error naming `what`. `stop` aborts the wait early.
 */
export function waitFor<T>(
  check: () => T | undefined | null | false,
  ms = 5000,
  what = 'condition',
  stop: () => boolean = () => false,
): Promise<T> {
  const deadline = Date.now() + ms;
  return new Promise<T>((resolve, reject) => {
    const tick = (): void => {
      let value: T | undefined | null | false;
      try {
        value = check();
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (value !== undefined && value !== null && value !== false) resolve(value);
      else if (stop()) reject(new Error(`stopped while waiting for ${what}`));
      else if (Date.now() >= deadline) reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      else setTimeout(tick, 5);
    };
    tick();
  });
}
