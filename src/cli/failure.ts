import { hideEnvValues, variablesAt } from '../config/env-values.js';
import type { SpoutConfig } from '../config/types.js';
import { listenFailureMessage } from '../http/server.js';

/**
 * A failure's message for the log: one line, naming the variable instead of any value read from
 * the environment (an `http.listen` set from one is named by key and variable, not echoed).
 */
export function failure(error: unknown, config: SpoutConfig): string {
  const uses = config.fromEnv ?? [];
  const code = (error as { code?: string }).code;
  const listenVars = variablesAt('http.listen', uses);
  if (code === 'SPOUT_HTTP_LISTEN' && listenVars.length > 0) {
    const errno = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code ?? 'unknown error';
    return listenFailureMessage(
      `http.listen (set from ${listenVars.map((v) => `\${${v}}`).join(', ')})`,
      errno,
    );
  }
  return hideEnvValues(String((error as Error).message ?? error), uses).replace(/\s*\n\s*/g, ' ');
}
