import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/**
 * A seeded source of random numbers and the distributions the simulator draws from. Every
 * method advances one shared generator, so the same seed and the same sequence of calls always
 * give the same results.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** Uniform integer in [lo, hi], both included. */
  int(lo: number, hi: number): number;
  /** One element of a non-empty list, uniformly. */
  pick<T>(items: readonly T[]): T;
  /** Standard normal (mean 0, standard deviation 1). */
  normal(): number;
  /** Exponential with the given rate (mean `1 / rate`): Poisson inter-arrival times. */
  exponential(rate: number): number;
  /** Log-normal: `exp(mu + sigma × N(0, 1))`; its median is `exp(mu)`. */
  lognormal(mu: number, sigma: number): number;
  /** Pareto (type I) with scale `xm` (the minimum) and shape `alpha`; heavy-tailed above `xm`. */
  pareto(xm: number, alpha: number): number;
  /** `nBytes` random bytes as lowercase hex (2 characters a byte). */
  hex(nBytes: number): string;
  /** A 32-bit unsigned random integer. */
  uint32(): number;
}

/** Create a {@link Random} from an integer seed (xoroshiro128+ from `pure-rand`). */
export function createRandom(seed: number): Random {
  // pure-rand v8 generators are mutable: `next()` advances this one in place.
  const gen = xoroshiro128plus(seed | 0);
  const scratch = Buffer.alloc(64);
  const next = () => uniformFloat64(gen);
  const uint32 = () => gen.next() >>> 0;
  const normal = () => {
    // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
    const u = 1 - next();
    const v = next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  return {
    next,
    uint32,
    normal,
    chance: (p) => next() < p,
    int: (lo, hi) => uniformInt(gen, lo, hi),
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[uniformInt(gen, 0, items.length - 1)] as T;
    },
    exponential: (rate) => -Math.log(1 - next()) / rate,
    lognormal: (mu, sigma) => Math.exp(mu + sigma * normal()),
    pareto: (xm, alpha) => xm / Math.pow(1 - next(), 1 / alpha),
    hex(nBytes) {
      // Through a scratch buffer: several times faster than building the string piecewise.
      const bytes = nBytes <= scratch.length ? scratch : Buffer.alloc(nBytes + 3);
      for (let i = 0; i < nBytes; i += 4) bytes.writeUInt32LE(uint32(), i);
      return bytes.toString('hex', 0, nBytes);
    },
  };
}
