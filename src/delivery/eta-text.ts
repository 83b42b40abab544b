import type { Eta } from '../bus/events.js';

/** Minutes as text: whole minutes, "<1" below half a minute. */
const minutes = (m: number) => (Math.round(m) < 1 ? '<1' : `${Math.round(m)}`);

/** Hours as text: one decimal below 10 h, whole hours above. */
const hours = (m: number) => {
  const h = m / 60;
  return h < 10 ? `${Math.round(h * 10) / 10}` : `${Math.round(h)}`;
};

/**
 * An ETA as short text for alerts: which block, then the median wait and the 10–90% range, e.g.
 * "next block: ~7 min (1–23 min)" or "~2 blocks: ~17 min (5–39 min)". Minutes while the 90%
 * bound is under two hours, hours beyond ("~20 blocks: ~3.3 h (2.3–4.3 h)"), one unit for all
 * three figures.
 */
export function etaText(eta: Eta): string {
  const which = eta.blocks <= 1 ? 'next block' : `~${eta.blocks} blocks`;
  const [fmt, unit] = eta.p90Minutes < 120 ? [minutes, 'min'] : [hours, 'h'];
  return `${which}: ~${fmt(eta.p50Minutes)} ${unit} (${fmt(eta.p10Minutes)}–${fmt(eta.p90Minutes)} ${unit})`;
}
