/**
 * The environment a test gives a child process: only PATH, what the test names, and the variables
 * that shift the clock (libfaketime's `LD_PRELOAD` and `FAKETIME*`). CI runs the suite a year
 * ahead and a month back under `faketime`; a child that did not inherit it would live in another
 * year than the test that checks its output.
 */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && (key === 'LD_PRELOAD' || key.startsWith('FAKETIME'))) env[key] = value;
  return { ...env, ...extra };
}
