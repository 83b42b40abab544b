// What the engine says about Redis, without loading a Redis client: `spout check` and the
// embedded engine use it too.

/** A Redis URL as it may be shown: its password replaced by `***`. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an invalid URL)';
  }
}

/** An error's message as one sentence: with its own final period, not a second one. */
export const sentence = (error: unknown): string => {
  const text = (error as Error)?.message ?? String(error);
  return /[.!?]$/.test(text) ? text : `${text}.`;
};
