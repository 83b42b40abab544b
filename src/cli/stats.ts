import { isSpoutError } from '../kernel/errors.js';
import { createRedactor } from '../log/redact.js';
import { aggregate } from '../stats/aggregate.js';
import { formatStats } from '../stats/format.js';
import { readStoredOutcomes } from '../stats/read.js';
import { parseSince } from '../stats/since.js';
import type { CliEnv } from './io.js';
import { loadForCommand } from './load.js';

/**
 * `spout stats [--since 30d|2026-11-01] [--json]`: daily, weekly and monthly figures of the
 * stored outcomes and the ETA calibration over the range (`etaCalibration` in the JSON), read
 * straight from the store file (`storage.path`) without starting the pipeline or writing
 * anything; safe while `spout run` holds the store. A missing file is "no data yet". Exit 0; 2
 * for a bad `--since` or configuration; 1 when the file is unreadable or not Spout data.
 */
export async function statsCommand(
  flags: { config?: string; since?: string; json?: boolean },
  cli: CliEnv,
): Promise<number> {
  const config = await loadForCommand(flags.config, cli);
  if (typeof config === 'number') return config;
  const scrub = createRedactor(config.secrets, config.strictSecrets);
  const now = new Date();
  let since: Date | undefined;
  if (flags.since !== undefined) {
    const parsed = parseSince(flags.since, now);
    if (parsed === null) {
      cli.io.err(
        scrub(
          `spout: --since "${flags.since}" is neither an ISO date nor a duration (examples: 30d, 12h, 2026-11-01) (SPOUT_CLI_USAGE)\n`,
        ),
      );
      return 2;
    }
    since = parsed;
  }
  let outcomes;
  try {
    outcomes = await readStoredOutcomes(config.storage.path);
  } catch (error) {
    if (!isSpoutError(error)) throw error;
    cli.io.err(scrub(`spout: ${error.message}\n`));
    return error.exit;
  }
  const stats = aggregate(outcomes, since ? { since, now } : { now });
  cli.io.out(
    scrub(flags.json ? JSON.stringify(stats, null, 2) + '\n' : formatStats(stats, config.storage.path)),
  );
  return 0;
}
