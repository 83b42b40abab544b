/**
 * `at` (simulated ms) → the ISO 8601 time `startMs + at`, as `Date#toISOString` gives it. Most
 * events share their minute with the previous one, so only seconds and milliseconds are
 * formatted each time (toISOString was a tenth of the generator's time).
 */
export function createIsoClock(startMs: number): (at: number) => string {
  let minute = NaN;
  let prefix = '';
  return (at) => {
    const ms = startMs + Math.floor(at);
    const m = Math.floor(ms / 60_000);
    if (m !== minute) {
      const full = new Date(ms).toISOString();
      // Years outside 0000–9999 have a longer, signed form: format those whole.
      if (full.length !== 24) return full;
      minute = m;
      prefix = full.slice(0, 17);
    }
    const inMinute = ms - m * 60_000;
    const seconds = Math.floor(inMinute / 1000);
    const millis = inMinute - seconds * 1000;
    return `${prefix}${seconds < 10 ? '0' : ''}${seconds}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
  };
}
