/** Calendar periods for the statistics, all in UTC. */

const DAY_MS = 86_400_000;

/** One period: its label and its bounds (start included, end excluded), epoch ms. */
export interface Period {
  label: string;
  start: number;
  end: number;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** The UTC day of `t`, labelled `2026-11-21`. */
export function dayOf(t: number): Period {
  const d = new Date(t);
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return { label: new Date(start).toISOString().slice(0, 10), start, end: start + DAY_MS };
}

/**
 * The ISO 8601 week of `t` (Monday to Sunday, UTC), labelled `2026-W47`. The week belongs to
 * the year of its Thursday, so 2027-01-01 (a Friday) is in `2026-W53`.
 */
export function isoWeekOf(t: number): Period {
  const d = new Date(t);
  const weekday = (d.getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - weekday);
  const thursday = start + 3 * DAY_MS;
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * DAY_MS)) + 1;
  return { label: `${year}-W${pad(week)}`, start, end: start + 7 * DAY_MS };
}

/** The UTC month of `t`, labelled `2026-11`. */
export function monthOf(t: number): Period {
  const d = new Date(t);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return { label: `${y}-${pad(m + 1)}`, start: Date.UTC(y, m, 1), end: Date.UTC(y, m + 1, 1) };
}
