import { stat, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DEFAULT_MAX_SIZE, existingParts, formatSize, parseSize } from '../backtest/files.js';
import { RECORDED_TYPES, RECORDING_VERSION, type RecordingHeader } from '../backtest/format.js';
import { createRecordingWriter } from '../backtest/writer.js';
import { isSpoutError } from '../kernel/errors.js';
import { createKernel } from '../kernel/kernel.js';
import { createMemoryStore } from '../store/memory.js';
import { createCliLogger, type CliEnv } from './io.js';
import { loadForCommand } from './load.js';
import { spoutVersion } from './version.js';

export interface RecordFlags {
  config?: string;
  out?: string;
  maxSize?: string;
  force?: boolean;
  blocks?: string;
}

/**
 * `spout record --out FILE.ndjson.gz`: run the configuration's enabled inputs only (no detectors,
 * outputs or jobs, no HTTP server, the store in memory: safe beside a running `spout run`, and no
 * alert can leave) and write every event they publish to a gzip NDJSON recording
 * (docs/backtest.md). Rotates to `FILE.1.ndjson.gz`, `FILE.2…` each time a part reaches
 * `--max-size`. Stops on SIGINT or SIGTERM, or after `--blocks N` blocks, with every part a
 * complete gzip file. Refuses to replace an existing recording (or one of its parts) without
 * `--force`. Exit 0 after a clean stop, 1 when the inputs could not start or writing failed, 2
 * for usage and configuration errors.
 */
export async function recordCommand(flags: RecordFlags, cli: CliEnv): Promise<number> {
  const fail = (message: string, code: number) => (cli.io.err(`spout record: ${message}\n`), code);
  if (!flags.out) return fail('give the file to write: spout record --out FILE.ndjson.gz', 2);
  const maxBytes = parseSize(flags.maxSize ?? DEFAULT_MAX_SIZE);
  if (typeof maxBytes === 'string') return fail(`--max-size ${maxBytes}`, 2);
  const blockLimit = flags.blocks === undefined ? null : Number(flags.blocks);
  if (blockLimit !== null && !(Number.isInteger(blockLimit) && blockLimit > 0))
    return fail(`--blocks "${flags.blocks}" is not a whole number of blocks above 0`, 2);
  const out = resolve(cli.cwd, flags.out);
  if (!(await stat(dirname(out)).catch(() => null))?.isDirectory())
    return fail(`the folder of ${flags.out} does not exist; create it first`, 2);
  const existing = await existingParts(out);
  if (existing.length > 0 && !flags.force)
    return fail(
      `${existing.length === 1 ? `${existing[0]} exists` : `a recording exists (${existing.join(', ')})`}; ` +
        'pass --force to replace it, or choose another --out',
      2,
    );

  const loaded = await loadForCommand(flags.config, cli);
  if (typeof loaded === 'number') return loaded;
  const inputs = loaded.instances.filter((i) => i.enabled && i.kind === 'input');
  if (inputs.length === 0) return fail(`${loaded.file} has no enabled input: there is nothing to record`, 2);
  // Only after the configuration loaded: a mistyped --config must not cost the old recording.
  for (const stale of existing.slice(1)) await rm(stale, { force: true });
  const config = { ...loaded, http: { ...loaded.http, enabled: false }, instances: inputs };
  const root = createCliLogger(config, cli);
  const log = root.log;

  let stopRequested: (reason: string) => void = () => {};
  const stopped = new Promise<string>((r) => (stopRequested = r));
  let writeError: Error | null = null;
  const startedAt = new Date().toISOString();
  const header = (part: number): RecordingHeader => ({
    spout: 'recording',
    version: RECORDING_VERSION,
    spoutVersion: spoutVersion(),
    startedAt,
    part,
    inputs: inputs.map((i) => ({ instance: i.name, plugin: i.use })),
  });
  const writer = createRecordingWriter({
    out,
    maxBytes,
    header,
    force: flags.force === true,
    onError(error) {
      writeError = error;
      stopRequested('write failure');
    },
  });
  const kernel = createKernel({ config, log, store: createMemoryStore(), redact: () => root.redact });
  let blocks = 0;
  let full = false;
  kernel.bus.subscribe('recorder', RECORDED_TYPES, (e) => {
    if (full) return;
    const wait = writer.write({ type: e.type, time: e.time, source: e.source, data: e.data });
    if (e.type === 'block.connected') {
      blocks++;
      log.info(
        { height: e.data.height, events: writer.events(), bytes: writer.bytes() },
        `block ${e.data.height} recorded: ${writer.events()} events so far`,
      );
      if (blockLimit !== null && blocks >= blockLimit) {
        full = true;
        stopRequested(`${blocks} block(s) recorded`);
      }
    }
    return wait;
  });
  cli.onSignal('SIGINT', () => stopRequested('SIGINT'));
  cli.onSignal('SIGTERM', () => stopRequested('SIGTERM'));

  try {
    await kernel.start();
  } catch (error) {
    log.fatal({ code: (error as { code?: string }).code }, `boot failed: ${(error as Error).message}`);
    // Nothing was recorded: leave no header-only file that a next run would need --force for.
    const { files } = await writer.close().catch(() => ({ files: [] as string[] }));
    for (const file of files) await rm(file, { force: true });
    return isSpoutError(error) ? error.exit : 1;
  }
  const names = inputs.map((i) => `${i.name} (${i.use})`).join(', ');
  log.info(
    { out, maxBytes },
    `recording ${names} to ${flags.out}, a new part every ${formatSize(maxBytes)}; SIGINT or SIGTERM stops`,
  );
  // Signal listeners do not keep the event loop alive; an input waiting on a timer might not.
  const keepAlive = setInterval(() => {}, 1 << 30);
  const reason = await stopped;
  clearInterval(keepAlive);
  log.info(`${reason}: stopping`);
  // Stopping the inputs drains the bus: every event they published is written before closing.
  const errors = await kernel.stop();
  const summary = await writer.close();
  if (writeError !== null) {
    log.error(
      { err: writeError },
      `cannot write the recording: ${(writeError as Error).message}; the events written before are readable`,
    );
    return 1;
  }
  log.info(
    { files: summary.files, events: summary.events, bytes: summary.bytes },
    `recorded ${summary.events} events in ${summary.files.length} file(s), ${formatSize(summary.bytes)}: ${summary.files.join(', ')}`,
  );
  return errors.length === 0 ? 0 : 1;
}
