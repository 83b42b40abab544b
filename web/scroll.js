// Whether the reader has scrolled away from the top of the page, where new whales appear.
import { useEffect, useState } from 'preact/hooks';

const AWAY_PX = 120;

/** True while the page is scrolled more than a little below the top (rAF-throttled). */
export function useScrolledAway() {
  const [away, setAway] = useState(false);
  useEffect(() => {
    let frame = 0;
    const check = () => {
      frame = 0;
      setAway(window.scrollY > AWAY_PX);
    };
    const onScroll = () => {
      if (!frame) frame = requestAnimationFrame(check);
    };
    window.addEventListener('scroll', onScroll, { passive: true });
    return () => {
      window.removeEventListener('scroll', onScroll);
      cancelAnimationFrame(frame);
    };
  }, []);
  return away;
}
