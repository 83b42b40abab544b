/** The simulation's parameters; see the plugin's option descriptions for their meaning. */
export interface SimulationOptions {
  seed: number;
  txPerSecond: number;
  whalesPerHour: number;
  whaleBtc: number;
  blockIntervalSeconds: number;
  rbfShare: number;
  statsIntervalSeconds: number;
  /** Height of the first simulated block. */
  startHeight: number;
  usdPrice: number;
  maxMempoolTx: number;
  /** ISO 8601 time of simulated time 0; payload times are `startTime + at`. */
  startTime: string;
}

/**
 * Defaults of every option; `seed` and `startTime` are fixed here so that a bare generator is
 * reproducible (the input plugin instead draws a seed and takes the current time at each start).
 */
export const SIMULATION_DEFAULTS: Readonly<SimulationOptions> = Object.freeze({
  seed: 1,
  txPerSecond: 7,
  whalesPerHour: 12,
  whaleBtc: 100,
  blockIntervalSeconds: 600,
  rbfShare: 0.1,
  statsIntervalSeconds: 10,
  startHeight: 870_000,
  usdPrice: 95_000,
  maxMempoolTx: 200_000,
  startTime: '2026-01-01T00:00:00.000Z',
});

/**
 * Fill in {@link SIMULATION_DEFAULTS} for missing (or undefined) options and check the result;
 * throws a RangeError naming the first invalid option.
 */
export function resolveSimulationOptions(options: Partial<SimulationOptions>): SimulationOptions {
  const o: SimulationOptions = { ...SIMULATION_DEFAULTS };
  for (const [key, value] of Object.entries(options) as Array<[keyof SimulationOptions, unknown]>) {
    if (value !== undefined) Object.assign(o, { [key]: value });
  }
  check(Number.isFinite(Date.parse(o.startTime)), `startTime must be an ISO 8601 time, got "${o.startTime}"`);
  check(Number.isInteger(o.seed), 'seed must be an integer');
  check(o.txPerSecond > 0, 'txPerSecond must be > 0');
  check(o.blockIntervalSeconds > 0, 'blockIntervalSeconds must be > 0');
  check(o.statsIntervalSeconds > 0, 'statsIntervalSeconds must be > 0');
  check(o.rbfShare >= 0 && o.rbfShare <= 1, 'rbfShare must be within 0..1');
  check(o.whalesPerHour >= 0, 'whalesPerHour must be ≥ 0');
  check(o.whaleBtc > 0 && o.usdPrice > 0, 'whaleBtc and usdPrice must be > 0');
  check(Number.isInteger(o.maxMempoolTx) && o.maxMempoolTx >= 1, 'maxMempoolTx must be an integer ≥ 1');
  return o;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(`simulator: ${message}`);
}
