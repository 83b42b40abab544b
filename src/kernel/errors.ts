/**
 * The error catalogue. Every error Spout raises on purpose has a code listed here and in
 * `docs/errors.md` (a test keeps the two in sync). Messages say what is wrong and how to fix it.
 */

/** Exit status a CLI command ends with for an error of this code. */
export type ExitStatus = 1 | 2;

interface CodeInfo {
  exit: ExitStatus;
  summary: string;
}

/** Every code, alphabetical. `exit` 2 means "the configuration is wrong", 1 "it failed at run time". */
export const ERROR_CODES = {
  SPOUT_BACKUP_INVALID: {
    exit: 1,
    summary: 'The file given to `spout restore` is not a complete, intact Spout backup.',
  },
  SPOUT_CLI_USAGE: { exit: 2, summary: 'The command line is wrong: unknown command or option.' },
  SPOUT_CONFIG_INVALID: {
    exit: 2,
    summary:
      'The configuration has one or more problems; each is listed as FILE:LINE:COL  key.path  message.',
  },
  SPOUT_CONFIG_NOT_FOUND: { exit: 2, summary: 'No configuration file at the given or default path.' },
  SPOUT_ENGINE_UNREACHABLE: {
    exit: 1,
    summary: 'With `engine: redis`, the Redis at `engine.url` could not be reached or refused the login.',
  },
  SPOUT_HTTP_LISTEN: {
    exit: 1,
    summary: 'The HTTP server could not listen on `http.listen` (port in use, bad address).',
  },
  SPOUT_KERNEL_STATE: {
    exit: 1,
    summary:
      'The kernel was asked to start or reload in a state that does not allow it (started twice, after a stop, reload before start or while stopping).',
  },
  SPOUT_PLUGIN_FAILED: { exit: 1, summary: 'A plugin threw during setup, start or stop.' },
  SPOUT_PLUGIN_INVALID: {
    exit: 2,
    summary:
      'A module named by `use:` does not export a valid plugin definition (kind, name, options, setup).',
  },
  SPOUT_PLUGIN_NOT_FOUND: { exit: 2, summary: '`use:` names no built-in plugin, file or installed package.' },
  SPOUT_PLUGIN_TIMEOUT: {
    exit: 1,
    summary: 'A plugin did not finish setup, start or stop within its time limit.',
  },
  SPOUT_PLUGIN_WRONG_KIND: { exit: 2, summary: 'A plugin is configured in a section of another kind.' },
  SPOUT_RELOAD_REJECTED: {
    exit: 2,
    summary: 'SIGHUP found an invalid configuration; the running one stays.',
  },
  SPOUT_STORE_CORRUPT: { exit: 1, summary: 'The storage file exists but is not valid Spout data.' },
  SPOUT_STORE_FENCED: {
    exit: 1,
    summary:
      'A write was refused because another instance leads the deployment now (the lease was lost); this instance steps down.',
  },
  SPOUT_STORE_IN_USE: {
    exit: 1,
    summary: 'A running `spout run` owns the store, so it cannot be replaced now.',
  },
  SPOUT_STORE_UNWRITABLE: { exit: 1, summary: 'The storage file or its folder cannot be written.' },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Where an error happened, when it concerns one plugin instance. */
export interface ErrorScope {
  instance?: string;
  phase?: 'load' | 'setup' | 'start' | 'stop' | 'drain' | 'reload';
  eventType?: string;
  /** The option the error is about, dotted from the instance's options (`retry.2`, `server.url`). */
  option?: string;
}

/** An error with a catalogue code. `exit` is the CLI exit status it leads to. */
export class SpoutError extends Error {
  readonly code: ErrorCode;
  readonly exit: ExitStatus;
  readonly scope: ErrorScope;

  constructor(code: ErrorCode, message: string, scope: ErrorScope = {}, options?: { cause?: unknown }) {
    super(scope.instance ? `[${scope.instance}] ${message}` : message, options);
    this.name = 'SpoutError';
    this.code = code;
    this.exit = ERROR_CODES[code].exit;
    this.scope = scope;
  }
}

/** Create a coded error. Prefer this to `new SpoutError` in plugin and kernel code. */
export function createError(
  code: ErrorCode,
  message: string,
  scope?: ErrorScope,
  cause?: unknown,
): SpoutError {
  return new SpoutError(code, message, scope, cause === undefined ? undefined : { cause });
}

/** True when `error` is a {@link SpoutError} (also across module copies). */
export function isSpoutError(error: unknown): error is SpoutError {
  return (
    error instanceof Error && (error as Partial<SpoutError>).code !== undefined && error.name === 'SpoutError'
  );
}
