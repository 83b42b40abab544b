import { BUILTIN_PLUGINS } from '../../plugins/index.js';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../config/load.js';
import type { SpoutConfig } from '../config/types.js';
import { isSpoutError } from '../kernel/errors.js';
import { createRedactor } from '../log/redact.js';
import { resolveConfigPath } from './config-path.js';
import type { CliEnv } from './io.js';

/** The file a command reads, as given and as an absolute path. */
export function configFile(flag: string | undefined, cli: CliEnv): { shownAs: string; path: string } {
  const shownAs = resolveConfigPath(flag, cli.env, cli.cwd);
  return { shownAs, path: isAbsolute(shownAs) ? shownAs : resolve(cli.cwd, shownAs) };
}

/**
 * Load the configuration for a command. On failure prints every problem (scrubbed of the
 * environment's values) and returns the exit status instead of a config.
 */
export async function loadForCommand(flag: string | undefined, cli: CliEnv): Promise<SpoutConfig | number> {
  const { shownAs, path } = configFile(flag, cli);
  try {
    return await loadConfig({ file: path, shownAs, env: cli.env, catalogue: BUILTIN_PLUGINS });
  } catch (error) {
    if (!isSpoutError(error)) {
      // Not expected (loading turns every problem into a coded error): one line, no stack trace.
      cli.io.err(
        `spout: cannot load ${shownAs}: ${String((error as Error).message ?? error).split('\n')[0]}\n`,
      );
      return 1;
    }
    const scrub = createRedactor(error instanceof ConfigError ? error.secrets : []);
    cli.io.err(scrub(`spout: ${error.message}\n`));
    return error.exit;
  }
}
