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
