// Ages that tick ("45 s", "12 min") without re-rendering whole tables: one shared one-second
// ticker, and each age re-renders only when its own text changes (so a 500-row table does a
// handful of updates per second, not 500). A hidden tab does not tick.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { formatAge } from './format.js';

const listeners = new Set();
let timer = 0;
let offsetMs = 0;

/**
 * Follow Spout's clock (`now` of `/api/status`, an ISO time) rather than this computer's: ages
 * and the charts' hours are then right even when the two clocks disagree.
 */
export function syncClock(serverIso, receivedAt = Date.now()) {
  const server = Date.parse(serverIso);
  if (Number.isFinite(server)) offsetMs = server - receivedAt;
}

/** The current time on Spout's clock, in ms (this computer's until the first status). */
export const serverNow = () => Date.now() + offsetMs;

function subscribe(listener) {
  listeners.add(listener);
  if (!timer)
    timer = setInterval(() => {
      if (document.hidden) return;
      const now = serverNow();
      for (const l of listeners) l(now);
    }, 1000);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) {
      clearInterval(timer);
      timer = 0;
    }
  };
}

/** The time since `iso`, kept current; `suffix` is appended (" ago"). */
export function Age({ iso, suffix = '' }) {
  const [text, setText] = useState(() => formatAge(iso, serverNow()));
  useEffect(() => {
    setText(formatAge(iso, serverNow()));
    return subscribe((now) => setText(formatAge(iso, now)));
  }, [iso]);
  return html`<span class="age">${text}${suffix}</span>`;
}

/** The current time on Spout's clock in ms, updated every `everyMs` while the tab is visible. */
export function useNow(everyMs) {
  const [now, setNow] = useState(serverNow);
  useEffect(() => {
    let last = serverNow();
    return subscribe((t) => {
      if (Math.abs(t - last) >= everyMs) {
        last = t;
        setNow(t);
      }
    });
  }, [everyMs]);
  return now;
}
