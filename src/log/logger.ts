import { pino, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { createRedactor, type Redactor } from './redact.js';

export interface LoggerOptions {
  level: string;
  format: 'pretty' | 'json';
  /** Values scrubbed from every line. */
  secrets?: Iterable<string>;
  /** Values scrubbed whatever they are (options marked secret). */
  strictSecrets?: Iterable<string>;
  /** Where lines go; default stderr (stdout is kept for `console` output and `--json` commands). */
  write?: (line: string) => void;
  colorize?: boolean;
}

/** A root logger and a way to change what it scrubs (after a SIGHUP brings new secrets). */
export interface RootLogger {
  log: Logger;
  setSecrets(secrets: Iterable<string>, strict?: Iterable<string>): void;
  redact: Redactor;
}

/**
 * Create the process logger (pino). Every line passes through the secret scrubber before it is
 * formatted and written, so no plugin can log a secret by mistake.
 */
export function createLogger(options: LoggerOptions): RootLogger {
  let redactor = createRedactor(options.secrets ?? [], options.strictSecrets ?? []);
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const pretty =
    options.format === 'pretty'
      ? prettyFactory({
          colorize: options.colorize ?? false,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname,instance,plugin',
          singleLine: true,
          messageFormat: '{if instance}[{instance}] {end}{msg}',
          hideObject: false,
        })
      : null;
  const destination = {
    write(line: string) {
      const clean = redactor(line);
      write(pretty ? pretty(clean) : clean);
    },
  };
  const log = pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return {
    log,
    setSecrets(secrets, strict = []) {
      redactor = createRedactor(secrets, strict);
    },
    redact: (text) => redactor(text),
  };
}
