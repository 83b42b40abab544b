/** A count as the benchmarks print it: rounded, with thousands separators. */
export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Whether a target was reached, as the benchmarks print it. */
export const verdict = (ok: boolean) => (ok ? 'met' : 'NOT MET');
