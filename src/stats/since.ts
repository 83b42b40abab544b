import { isDuration, parseDuration } from '../config/durations.js';

/**
 * Parse `--since`: an ISO date (`2026-11-01`, `2026-11-01T10:00:00Z`; a date alone is UTC
 * midnight) or a duration with its unit (`30d`, `12h`) meaning that long before `now`. A bare
 * number is refused as ambiguous. Returns null when the text is neither.
 */
export function parseSince(text: string, now: Date): Date | null {
  const t = text.trim();
  if (/^\d{4}-\d{2}(-\d{2})?([T ].*)?$/.test(t)) {
    const at = Date.parse(t);
    return Number.isNaN(at) ? null : new Date(at);
  }
  if (/^\d+(\.\d+)?\s*[a-z]+$/i.test(t) && isDuration(t)) return new Date(now.getTime() - parseDuration(t));
  return null;
}
