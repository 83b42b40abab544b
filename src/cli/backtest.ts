import { resolve } from 'node:path';
import { BUILTIN_PLUGINS } from '../../plugins/index.js';
import { createReplayClock } from '../backtest/clock.js';
import { backtestPipeline } from '../backtest/config.js';
import { openRecording, RecordingError, type RecordingFile } from '../backtest/reader.js';
import { createProgress } from '../backtest/progress.js';
import { renderReport } from '../backtest/render.js';
import { replay } from '../backtest/replay.js';
import { buildReport } from '../backtest/report.js';
import type { SpoutConfig } from '../config/types.js';
import { isSpoutError } from '../kernel/errors.js';
import { createCliLogger, type CliEnv } from './io.js';
import { loadForCommand } from './load.js';

export interface BacktestFlags {
  config?: string;
  json?: boolean;
}

/**
 * The recordings in replay order: by recording (its start time), then part. Files of one
 * recording with a part missing between them are replayed all the same, with a warning.
 */
function inOrder(files: RecordingFile[], warnings: string[]): RecordingFile[] {
  const sorted = [...files].sort(
    (a, b) => a.header.startedAt.localeCompare(b.header.startedAt) || a.header.part - b.header.part,
  );
  for (let i = 1; i < sorted.length; i++) {
    const [prev, next] = [sorted[i - 1]!.header, sorted[i]!.header];
    if (prev.startedAt === next.startedAt && next.part > prev.part + 1)
      warnings.push(
        `part${next.part - prev.part > 2 ? 's' : ''} ${prev.part + 1}${next.part - prev.part > 2 ? `–${next.part - 1}` : ''} ` +
          `of the recording started at ${next.startedAt} ${next.part - prev.part > 2 ? 'were' : 'was'} not given: ` +
          'whales may miss their outcome (give every part, e.g. spout backtest rec.ndjson.gz rec.*.ndjson.gz)',
      );
  }
  return sorted;
}

/**
 * `spout backtest FILE…`: replay recordings at full speed, on their own clock, through the
 * detectors and the correlation job of `--config` (without it: whale 100 BTC, urgency, rbf and
 * correlation); no inputs, no outputs. Prints the report (docs/backtest.md) on stdout, as text
 * or `--json`; a progress bar on stderr when it is a terminal. Exit 0 with the report (a
 * truncated file is replayed up to its cut, with a warning); 1 when a file is damaged or the
 * pipeline fails; 2 for usage and configuration errors and for files that are not recordings.
 */
export async function backtestCommand(paths: string[], flags: BacktestFlags, cli: CliEnv): Promise<number> {
  const say = (message: string) => cli.io.err(`spout backtest: ${message}\n`);
  if (paths.length === 0) return (say('give the recordings to replay: spout backtest FILE…'), 2);
  let user: SpoutConfig | null = null;
  if (flags.config !== undefined) {
    const loaded = await loadForCommand(flags.config, cli);
    if (typeof loaded === 'number') return loaded;
    user = loaded;
  }
  const warnings: string[] = [];
  const files: RecordingFile[] = [];
  try {
    for (const path of paths) {
      const file = await openRecording(resolve(cli.cwd, path), path);
      if (file) files.push(file);
      else
        warnings.push(
          `${path} holds no event: it was cut before its first line was written (a recorder killed at once); skipped`,
        );
    }
  } catch (error) {
    if (error instanceof RecordingError) return (say(error.message), error.exit);
    throw error;
  }

  const clock = createReplayClock();
  const { config, notes } = await backtestPipeline({ user, catalogue: BUILTIN_PLUGINS, clock, cwd: cli.cwd });
  for (const note of notes) say(note);
  const format = user?.log.format ?? 'pretty';
  // The report is the output; the log only says what went wrong.
  const root = createCliLogger(config, cli, { level: 'warn', format });
  const ordered = inOrder(files, warnings);
  const total = ordered.reduce((sum, f) => sum + f.bytes, 0);
  const progress = createProgress(cli.io, cli.isTTY, total);
  let result;
  try {
    result = await replay({ config, clock, files: ordered, log: root.log, onProgress: progress.update });
  } catch (error) {
    progress.stop();
    if (error instanceof RecordingError) return (say(error.message), error.exit);
    say(`the pipeline failed: ${(error as Error).message}`);
    return isSpoutError(error) ? error.exit : 1;
  }
  progress.stop();
  for (const file of result.files)
    if (file.truncated)
      warnings.push(
        `${file.path} is truncated after ${file.events} event(s): its recorder was stopped without ` +
          'closing it (killed, or the machine went down) or the copy was cut short; the events before the cut were replayed',
      );
  if (result.failures > 0)
    warnings.push(
      `${result.failures} handler failure(s) while replaying (see the log above): the figures may be off`,
    );
  for (const warning of warnings) say(`warning: ${warning}`);
  const report = buildReport(result, warnings);
  cli.io.out(flags.json ? JSON.stringify(report, null, 2) + '\n' : renderReport(report));
  return 0;
}
