import type { Logger } from 'pino';
import { unsetOnReload } from '../config/interpolate.js';
import { ConfigError } from '../config/load.js';
import type { SpoutConfig } from '../config/types.js';
import type { Kernel } from '../kernel/kernel.js';
import type { CliEnv, createCliLogger } from './io.js';

/**
 * SIGHUP handling of `spout run`: each signal loads the file again and reloads the running
 * kernel with it, one reload after another. An invalid file leaves the running configuration in
 * place (logged with `SPOUT_RELOAD_REJECTED`); a failed reload never breaks the chain.
 * `current()` is the configuration last loaded (a new leader term starts with it).
 */
export function createReloader(options: {
  root: ReturnType<typeof createCliLogger>;
  log: Logger;
  initial: SpoutConfig;
  reload?: () => Promise<SpoutConfig>;
  /** The kernel to reload now, null when none runs (a follower). */
  kernel: () => Kernel | null;
}) {
  const { root, log } = options;
  let running = options.initial;
  let reloads = Promise.resolve();
  const once = async () => {
    if (!options.reload) return log.warn('SIGHUP ignored: this configuration cannot be reloaded');
    const kernel = options.kernel();
    // Reloading while instances are being started or stopped would start what no one stops.
    if (kernel && kernel.state() !== 'running')
      return log.warn(`SIGHUP ignored: Spout is ${kernel.state()}; send it again once running`);
    log.info('SIGHUP: reloading the configuration');
    let next: SpoutConfig;
    try {
      next = await options.reload();
    } catch (error) {
      root.setSecrets(
        [...running.secrets, ...(error instanceof ConfigError ? error.secrets : [])],
        running.strictSecrets,
      );
      log.error(
        { code: 'SPOUT_RELOAD_REJECTED' },
        `configuration rejected; the running configuration stays. ${rejection(error)}`,
      );
      return;
    }
    root.setSecrets([...running.secrets, ...next.secrets], [...running.strictSecrets, ...next.strictSecrets]);
    if (!kernel) {
      running = next;
      return log.info('reloaded: the next term as leader starts with it');
    }
    const report = await kernel.reload(next);
    running = next;
    log.info(
      { reload: report },
      `reloaded: restarted [${report.restarted.join(', ')}], added [${report.added.join(', ')}], removed [${report.removed.join(', ')}], ${report.unchanged.length} unchanged`,
    );
    if (report.needsRestart.length > 0)
      log.warn(`changes to ${report.needsRestart.join(', ')} take effect after a restart`);
  };
  return {
    onSignal() {
      reloads = reloads
        .then(once)
        .catch((error: unknown) => log.error({ err: error }, `reload failed: ${(error as Error).message}`));
    },
    /** Resolves once every reload asked for so far has settled. */
    settled: () => reloads,
    current: () => running,
  };
}

/**
 * Register `spout run`'s signals: SIGHUP reloads through `reloader`; the returned promise
 * resolves with the first SIGINT or SIGTERM (signal listeners do not keep Node alive).
 */
export function listenForSignals(cli: CliEnv, reloader: { onSignal(): void }): Promise<string> {
  cli.onSignal('SIGHUP', () => reloader.onSignal());
  return new Promise<string>((resolve) => {
    cli.onSignal('SIGINT', () => resolve('SIGINT'));
    cli.onSignal('SIGTERM', () => resolve('SIGTERM'));
  });
}

/**
 * Why a reload was rejected. An unset variable is told as what it is on a running process: the
 * environment it started with, which a SIGHUP cannot change (not "set it", as at boot).
 */
function rejection(error: unknown): string {
  if (error instanceof ConfigError) return new ConfigError(error.problems.map(unsetOnReload)).message;
  return (error as Error).message;
}
