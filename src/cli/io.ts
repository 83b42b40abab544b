import type { SpoutConfig } from '../config/types.js';
import { createLogger, type RootLogger } from '../log/logger.js';
/** Where a command writes. Every line passes the secret scrubber before it leaves. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** The environment a command runs in: read from `process` once, in `src/main.ts`. */
export interface CliEnv {
  argv: string[];
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  io: CliIo;
  /** Register a handler for a process signal (the CLI never touches `process` itself). */
  onSignal(signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP', handler: () => void): void;
  isTTY: boolean;
}

/**
 * The logger a command runs with: the configuration's level and format (or the given ones), the
 * configured secrets redacted, lines on stderr, colours only on a terminal in pretty format.
 */
export function createCliLogger(
  config: Pick<SpoutConfig, 'log' | 'secrets' | 'strictSecrets'>,
  cli: Pick<CliEnv, 'io' | 'isTTY'>,
  overrides: Partial<Pick<SpoutConfig['log'], 'level' | 'format'>> = {},
): RootLogger {
  const level = overrides.level ?? config.log.level;
  const format = overrides.format ?? config.log.format;
  return createLogger({
    level,
    format,
    secrets: config.secrets,
    strictSecrets: config.strictSecrets,
    write: (line) => cli.io.err(line),
    colorize: cli.isTTY && format === 'pretty',
  });
}
