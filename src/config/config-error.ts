import { SpoutError } from '../kernel/errors.js';
import { formatProblem, sortProblems, type Problem } from './problems.js';

/** A configuration with problems: carries every one of them. Exit status 2. */
export class ConfigError extends SpoutError {
  readonly problems: Problem[];
  /** Values read from the environment so far: whoever prints this error scrubs them. */
  secrets: string[] = [];
  constructor(problems: Problem[]) {
    const sorted = sortProblems(problems);
    const n = sorted.length;
    super(
      'SPOUT_CONFIG_INVALID',
      `${n} problem${n === 1 ? '' : 's'} in the configuration:\n${sorted.map(formatProblem).join('\n')}`,
    );
    this.problems = sorted;
  }
}

/** Largest configuration file read, in bytes (1 MiB): a larger one is refused before it is read. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export const tooLarge = (file: string, bytes?: number) =>
  new ConfigError([
    {
      file,
      line: 1,
      col: 1,
      path: '',
      message: `the file is ${bytes === undefined ? 'larger than 1 MiB' : `${(bytes / 1024 / 1024).toFixed(1)} MiB`}; a configuration file may be at most 1 MiB (${MAX_CONFIG_BYTES} bytes)`,
    },
  ]);
