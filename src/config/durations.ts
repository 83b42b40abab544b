import ms from 'ms';

/** Parse a duration such as `500ms`, `5s`, `5m`, `1h`, `7d` (or a number of milliseconds). */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value;
  const parsed = ms(value.trim() as ms.StringValue);
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0) {
    throw new Error(`"${value}" is not a duration (examples: 500ms, 5s, 5m, 1h, 7d)`);
  }
  return parsed;
}

/** True when {@link parseDuration} accepts the text. */
export function isDuration(value: string): boolean {
  try {
    parseDuration(value);
    return /^\s*\d+(\.\d+)?\s*[a-z]*\s*$/i.test(value);
  } catch {
    return false;
  }
}
