/**
 * A monotonic clock a test moves by hand (for code that takes `now: () => number`), counting
 * how often it has been read so a test can wait until the code under test has looked.
 */
export interface SteppedClock {
  now: () => number;
  advance(ms: number): void;
  readonly reads: number;
}

export function steppedClock(start = 0): SteppedClock {
  let at = start;
  let reads = 0;
  return {
    now: () => (reads++, at),
    advance: (ms) => void (at += ms),
    get reads() {
      return reads;
    },
  };
}
